package rights

// MineLimit is mineLimit, for the tests of package rights_test.
const MineLimit = mineLimit

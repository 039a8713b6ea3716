package ent

// OwnerID makes a user row its own owner for @mask reveals and
// @consent(of: OWNER) (see internal/privacy.Owned). Not generated.
func (u *User) OwnerID() int { return u.ID }

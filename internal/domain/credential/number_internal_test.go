package credential

import "testing"

// TestDammQuasigroup proves, over all values, the properties that make the
// check catch every single substitution and every adjacent transposition
// (H. M. Damm, 2004). With r' = damm(r, d):
//
//   - each row is a bijection (r fixed, d varies): a changed symbol changes
//     the running value;
//   - each column is a bijection (d fixed, r varies): once different, the
//     running values stay different through the remaining symbols, so the
//     final value is not 0;
//   - total anti-symmetry, damm(damm(r,x),y) = damm(damm(r,y),x) only if
//     x = y: swapping two adjacent different symbols changes the running
//     value.
//
// The check symbol is processed like the others, so the properties hold
// for it too.
func TestDammQuasigroup(t *testing.T) {
	for r := byte(0); r < 32; r++ {
		var row, col [32]bool
		for d := byte(0); d < 32; d++ {
			v := damm(r, d)
			if v >= 32 {
				t.Fatalf("damm(%d, %d) = %d, out of GF(32)", r, d, v)
			}
			if row[v] {
				t.Fatalf("row %d is not a bijection", r)
			}
			row[v] = true
			w := damm(d, r) // column r, row d
			if col[w] {
				t.Fatalf("column %d is not a bijection", r)
			}
			col[w] = true
		}
		for x := byte(0); x < 32; x++ {
			for y := byte(0); y < 32; y++ {
				if x != y && damm(damm(r, x), y) == damm(damm(r, y), x) {
					t.Fatalf("not anti-symmetric: r=%d x=%d y=%d", r, x, y)
				}
			}
		}
	}
	// The symbol that completes a running value r is damm(r, 0).
	for r := byte(0); r < 32; r++ {
		if damm(r, damm(r, 0)) != 0 {
			t.Fatalf("check symbol of %d does not complete it", r)
		}
	}
}

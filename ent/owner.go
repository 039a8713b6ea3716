package ent

// OwnerID makes a user row its own owner for @mask reveals and
// @consent(of: OWNER) (see internal/domain/privacy.Owned). Not generated.
func (u *User) OwnerID() int { return u.ID }

// OwnerID is the author, for @consent(of: OWNER) on a post's location.
func (p *Post) OwnerID() int { return p.AuthorID }

package pii

import "github.com/tongxue/tongxue/internal/infra/mask"

// Field marks an ent field as personal data. The privacy catalog
// (docs/privacy-catalog.md), the key rotation and the schema tests read it.
//
//	field.Bytes("phone_cipher").Annotations(pii.Field{
//		Category: "手机号码", Purpose: pii.Account, Sensitive: true, Sealed: true,
//		Mask: mask.KindPhone, Exposes: []string{"Account.phone"}, Retention: pii.UntilAccountCancelled,
//	})
type Field struct {
	Category  string    // data category, in the policy's words
	Purpose   Purpose   // why it is processed
	Sensitive bool      // sensitive personal information (PIPL art. 28)
	Sealed    bool      // the column holds AES-256-GCM ciphertext (internal/infra/vault)
	Lookup    bool      // the column holds a keyed hash for exact-match look-ups
	Mask      mask.Kind // how the graph shows it; required when Sensitive and exposed
	// Published: its owner shows it whole, on purpose, to an audience they
	// choose (a post's place, to the post's viewers), so it has no mask;
	// it is still sealed at rest and guarded by @consent.
	Published bool
	Exposes   []string // GraphQL fields ("Type.field") that show it
	Retention Rule     // how long it is kept and what deletes it (retention.go)
}

// Name implements ent's schema.Annotation.
func (Field) Name() string { return "PII" }

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// SharingRecord is one hand-over of a user's personal data to another party
// (D1), written in the same transaction as the hand-over.
type SharingRecord struct{ ent.Schema }

func (SharingRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("recipient").Immutable(),
		field.String("recipient_contact").Immutable(),
		field.String("purpose").GoType(pii.Purpose("")).Immutable(),
		field.String("method").Immutable(),
		field.String("data_categories").Immutable(),
		field.String("reference").Optional().Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (SharingRecord) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id", "created_at")} }

// The ledger is the record of providing personal data to others (PIPL
// art. 55(3)), which art. 56 keeps at least 3 years.
func (SharingRecord) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Proof,
		What:      "a hand-over of personal data to another party: recipient, purpose, categories (mySharingRecords)",
		Retention: pii.Keep{For: pii.Years(3), From: "created_at", Then: pii.Delete, Basis: pii.PIPLRecords}})
}

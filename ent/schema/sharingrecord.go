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

func (SharingRecord) Annotations() []schema.Annotation { return skipGQL() }

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Address is a delivery address of a user (S6).
type Address struct{ ent.Schema }

func (Address) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int("user_id").Immutable(),
		field.String("label").Default("").MaxRuneLen(16),
		field.Bool("is_default").Default(false),
		field.Time("created_at").Immutable().Default(time.Now),
	}, deliveryFields("Address", pii.Shopping, pii.Until{{When: "the user deletes it", By: "the user (deleteAddress)"}, pii.AccountCancelled})...)
}

func (Address) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }

func (Address) Annotations() []schema.Annotation { return skipGQL() }

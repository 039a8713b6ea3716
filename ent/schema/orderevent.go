package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// OrderEvent is a status change, stored durably: a subscriber that
// reconnects replays the ones it missed (by id, which grows).
type OrderEvent struct{ ent.Schema }

func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("merchant_id").Immutable(),
		field.String("status").Immutable(),
		field.String("previous_status").Immutable(),
		field.Enum("actor").Values("BUYER", "MERCHANT", "COURIER", "PAYMENT", "SYSTEM", "STAFF").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("user_id"), index.Fields("merchant_id")}
}

func (OrderEvent) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Transaction, What: "a status change of an order (who moved it, when)", Retention: withOrder})
}

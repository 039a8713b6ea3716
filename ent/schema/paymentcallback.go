package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// PaymentCallback is a processed provider notification: its event id makes
// a replayed or retried callback a no-op.
type PaymentCallback struct{ ent.Schema }

func (PaymentCallback) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider").Immutable(),
		field.String("event_id").Immutable().MaxLen(128),
		field.String("nonce").Immutable().MaxLen(128),
		field.Int("order_id").Immutable(),
		field.String("status").Immutable(),
		field.Time("received_at").Immutable().Default(time.Now),
	}
}

func (PaymentCallback) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("provider", "event_id").Unique(),
		index.Fields("provider", "nonce").Unique(),
	}
}

func (PaymentCallback) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Transaction, What: "a payment notification of an order (provider, event id, status)", Retention: withOrder})
}

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Shopping records (S2, S3, S5, S6). Their GraphQL types are hand-written in
// schema/shopping.graphql: none of them is a Node, so no one reaches another
// user's cart, address or order through node(id).

// Order is one purchase from one merchant (S3). The delivery details are a
// snapshot taken when the order is placed.
type Order struct{ ent.Schema }

func (Order) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("order_no").Unique().Immutable().MaxLen(32),
		field.Int("user_id").Immutable(),
		field.Int("merchant_id").Immutable(),
		field.Int("courier_id").Optional().Nillable(),
		// A retried placeOrder with the same key returns this order.
		field.String("idempotency_key").Immutable().MaxLen(64),
		field.Enum("status").Values("AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED",
			"COMPLETED", "CANCELLED", "REFUND_REQUESTED", "REFUNDED").Default("AWAITING_PAYMENT"),
		field.Int64("total_fen").Immutable().NonNegative(),
		field.Int64("paid_fen").Optional().Nillable(),
		field.String("payment_provider").Immutable(),
		field.String("provider_ref").Optional().Nillable(),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("pay_before").Immutable(),
		field.Time("paid_at").Optional().Nillable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		// When the order reached COMPLETED, CANCELLED or REFUNDED: the
		// transaction record is kept 3 years from then (T1), until retain_until.
		field.Time("closed_at").Optional().Nillable(),
		field.Time("retain_until").Optional().Nillable(),
		// After the buyer cancels the account the record keeps no name, phone
		// or address, only this keyed pseudonym of the buyer (R3).
		field.Bytes("buyer_pseudonym").Optional().Nillable().Sensitive(),
	}, deliveryFields("Delivery", pii.Shopping, orderRecord.OrSooner(pii.AccountCancelledDeidentified))...)
}

// orderRecord is how long an order is kept (T1): the retention runner
// deletes it, and internal/domain/orders sets retain_until, from this.
var orderRecord = pii.Keep{For: pii.Years(3), From: "closed_at", Where: "COMPLETED, CANCELLED or REFUNDED",
	Then: pii.Delete, Basis: pii.ECommerceLaw}

// withOrder is the retention of what belongs to an order.
var withOrder = pii.Until{{When: "its order is deleted", By: "retention runner (hourly): deleted with its order"}}

// The columns stay where they were; the edges only add foreign keys. The
// items go with their order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("buyer", User.Type).Ref("orders").Field("user_id").Unique().Required().Immutable(),
		edge.From("merchant", Merchant.Type).Ref("orders").Field("merchant_id").Unique().Required().Immutable(),
		edge.From("courier", User.Type).Ref("courier_orders").Field("courier_id").Unique(),
		edge.To("items", OrderItem.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "idempotency_key").Unique(),
		index.Fields("user_id", "created_at"),
		index.Fields("merchant_id", "created_at"),
		index.Fields("status", "pay_before"),
		index.Fields("courier_id"),
	}
}

func (Order) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Transaction,
		What: "an order: buyer, merchant, amounts, status, delivery snapshot", Retention: orderRecord})
}

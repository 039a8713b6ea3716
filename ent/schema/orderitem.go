package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// OrderItem is a product line of an order, priced when the order was placed.
type OrderItem struct{ ent.Schema }

func (OrderItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.String("name").Immutable(),
		field.Int64("unit_price_fen").Immutable().NonNegative(),
		field.Int("quantity").Immutable().Positive(),
	}
}

func (OrderItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("items").Field("order_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("order_items").Field("product_id").Unique().Required().Immutable(),
	}
}

func (OrderItem) Indexes() []ent.Index { return []ent.Index{index.Fields("order_id")} }

func (OrderItem) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Transaction, What: "a product line of an order (name, price, quantity)", Retention: withOrder})
}

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CartItem is a product and quantity in a user's cart (S2).
type CartItem struct{ ent.Schema }

func (CartItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.Int("quantity").Range(1, 99),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// The columns stay where they were; the edges only add foreign keys.
func (CartItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("cart_items").Field("user_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("cart_items").Field("product_id").Unique().Required().Immutable(),
	}
}

func (CartItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "product_id").Unique()}
}

func (CartItem) Annotations() []schema.Annotation { return skipGQL() }

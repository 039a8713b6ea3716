package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is something a merchant sells. Prices are integers in fen (分) so
// no money is ever rounded.
type Product struct{ ent.Schema }

func (Product) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(128),
		field.Text("description").Default(""),
		field.Int64("price_fen").NonNegative().
			Annotations(entgql.OrderField("PRICE")),
		field.Int("stock").NonNegative().Default(0),
		field.Enum("category").Values(
			"SNACKS", "DRINKS", "MEALS", "FRUIT", "STATIONERY", "BOOKS",
			"DIGITAL", "DAILY", "BEAUTY", "CLOTHING", "SPORTS"),
		field.Strings("images").Default([]string{}).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("student_only").Default(false),
		// Average review rating, kept up to date when a review is written.
		field.Float("rating").Default(0).Min(0).Max(5).
			Annotations(entgql.OrderField("RATING")),
		field.Int("review_count").Default(0).NonNegative(),
		field.Int("merchant_id").Immutable(),
	}
}

func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("merchant", Merchant.Type).Ref("products").
			Field("merchant_id").Unique().Required().Immutable(),
		edge.To("reviews", Review.Type).
			Annotations(entgql.RelayConnection()),
		// Foreign keys only (no graph field): a removed product leaves the
		// carts it was in; the orders that sold it keep it.
		edge.To("cart_items", CartItem.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
		edge.To("order_items", OrderItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("merchant_id"),
		index.Fields("category"),
		index.Fields("price_fen"),
		index.Fields("created_at"),
		index.Fields("rating"),
	}
}

func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Merchant is a shop on or near a campus. All of it is public.
type Merchant struct{ ent.Schema }

func (Merchant) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Merchant) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(64).
			Annotations(entgql.OrderField("NAME")),
		field.String("campus").NotEmpty().MaxRuneLen(64),
		// Where on campus, in words (e.g. 东区食堂一楼).
		field.String("location").NotEmpty().MaxRuneLen(128),
		field.Float("latitude").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Float("longitude").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Text("description").Default("").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("logo_url").Optional().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		// The account (role MERCHANT) that runs the shop.
		field.Int("owner_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Published contact for the sharing ledger (D1): who received data.
		field.String("contact").Default("").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

func (Merchant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("products", Product.Type).
			Annotations(entgql.RelayConnection(), entgql.OrderField("PRODUCTS_COUNT")),
		// A foreign key only (no graph field): a merchant with orders
		// cannot be deleted while they are kept.
		edge.To("orders", Order.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Merchant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("campus")}
}

func (Merchant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}

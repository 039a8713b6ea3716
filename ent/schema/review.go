package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Review is a public rating of a product. Its author is shown by public
// profile only (nickname and avatar).
type Review struct{ ent.Schema }

func (Review) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Review) Fields() []ent.Field {
	return []ent.Field{
		field.Int("rating").Range(1, 5).
			Annotations(entgql.OrderField("RATING")),
		field.Text("text").Default("").MaxRuneLen(2000),
		field.Int("product_id").Immutable(),
		field.Int("author_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Review) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("reviews").
			Field("product_id").Unique().Required().Immutable(),
		edge.From("author", User.Type).Ref("reviews").
			Field("author_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

func (Review) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "created_at"),
		index.Fields("author_id"),
	}
}

func (Review) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PostImage is a picture of a post, stored cleaned of metadata (internal/domain/media).
type PostImage struct{ ent.Schema }

func (PostImage) Fields() []ent.Field {
	return []ent.Field{
		field.Int("post_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("media_key").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("position").Immutable(),
		field.Int("width").Immutable(),
		field.Int("height").Immutable(),
	}
}

func (PostImage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("post", Post.Type).Ref("images").Field("post_id").Unique().Required().Immutable(),
	}
}

// media_key: /media/ asks whether a key is public (internal/domain/media (`release.go`)), and
// releasing a picture asks whether any post still uses it.
func (PostImage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("post_id", "position"), index.Fields("media_key")}
}

func (PostImage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField,
		entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

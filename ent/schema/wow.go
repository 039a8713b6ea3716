package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/pii"
)

// Wow (W1-W3): posts, their pictures, wows (likes) and follows. Who may see
// a post is decided in one place for every path (internal/wow's query
// interceptor), not here.

// Post is a wow status.
type Post struct{ ent.Schema }

func (Post) Fields() []ent.Field {
	return []ent.Field{
		field.Int("author_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("text").MaxRuneLen(1000).
			Annotations(pii.Field{Category: "wow 状态", Purpose: pii.Wow, Exposes: []string{"Post.text"},
				Retention: "until the author deletes it or cancels the account"}),
		field.Enum("visibility").Values("PUBLIC", "FRIENDS", "ONLY_ME").Default("PUBLIC"),
		// A place name the author chose to attach, with the location
		// permission and consent; never coordinates. Whereabouts are
		// sensitive (PIPL art. 28): sealed at rest (internal/wow opens it
		// for Post.location), shown whole only to the post's viewers while
		// the author consents, and erased from all the author's posts when
		// LOCATION is withdrawn. No query filters by it.
		field.Bytes("location_cipher").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll), pii.Field{Category: "所在位置", Purpose: pii.Location,
				Sensitive: true, Sealed: true, Published: true, Exposes: []string{"Post.location"},
				Retention: "until the author deletes the post or withdraws LOCATION"}),
		field.Int("wow_count").Default(0).NonNegative(),
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

func (Post) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("author", User.Type).Ref("posts").Field("author_id").Unique().Required().Immutable(),
		edge.To("images", PostImage.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("wows", Wow.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
	}
}

func (Post) Indexes() []ent.Index {
	return []ent.Index{index.Fields("author_id", "created_at"), index.Fields("created_at")}
}

func (Post) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// PostImage is a picture of a post, stored cleaned of metadata (internal/media).
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

// media_key: /media/ asks whether a key is public (internal/pictures), and
// releasing a picture asks whether any post still uses it.
func (PostImage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("post_id", "position"), index.Fields("media_key")}
}

func (PostImage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField,
		entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Wow is one user's wow on one post (W2): at most one each.
type Wow struct{ ent.Schema }

func (Wow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("post_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (Wow) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("post", Post.Type).Ref("wows").Field("post_id").Unique().Required().Immutable(),
	}
}

func (Wow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("post_id", "user_id").Unique(), index.Fields("user_id")}
}

func (Wow) Annotations() []schema.Annotation { return skipGQL() }

// Follow is one user following another; two follows make friends.
type Follow struct{ ent.Schema }

func (Follow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("follower_id").Immutable(),
		field.Int("followee_id").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (Follow) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("follower", User.Type).Ref("following").Field("follower_id").Unique().Required().Immutable(),
		edge.From("followee", User.Type).Ref("followers").Field("followee_id").Unique().Required().Immutable(),
	}
}

func (Follow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("follower_id", "followee_id").Unique(), index.Fields("followee_id")}
}

func (Follow) Annotations() []schema.Annotation { return skipGQL() }

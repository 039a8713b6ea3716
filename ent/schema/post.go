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

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Wow (W1-W3): posts, their pictures, wows (likes) and follows. Who may see
// a post is decided in one place for every path (internal/domain/wow's query
// interceptor), not here.

// Post is a wow status.
type Post struct{ ent.Schema }

func (Post) Fields() []ent.Field {
	postDeleted := pii.Ending{When: "the author deletes the post", By: "deletePost (internal/domain/wow)"}
	return []ent.Field{
		field.Int("author_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("text").MaxRuneLen(1000).
			Annotations(pii.Field{Category: "wow 状态", Purpose: pii.Wow, Exposes: []string{"Post.text"},
				Retention: pii.Until{postDeleted, pii.AccountCancelled}}),
		field.Enum("visibility").Values("PUBLIC", "FRIENDS", "ONLY_ME").Default("PUBLIC"),
		// A place name the author chose to attach, with the location
		// permission and consent; never coordinates. Whereabouts are
		// sensitive (PIPL art. 28): sealed at rest (internal/domain/wow opens it
		// for Post.location), shown whole only to the post's viewers while
		// the author consents, and erased from all the author's posts when
		// LOCATION is withdrawn. No query filters by it.
		field.Bytes("location_cipher").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll), pii.Field{Category: "所在位置", Purpose: pii.Location,
				Sensitive: true, Sealed: true, Published: true, Exposes: []string{"Post.location"},
				Retention: pii.Until{postDeleted,
					{When: "the author withdraws LOCATION", By: "withdrawal of LOCATION (internal/domain/wow)"}, pii.AccountCancelled}}),
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

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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

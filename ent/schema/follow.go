package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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

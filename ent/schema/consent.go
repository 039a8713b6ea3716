package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Consent is the current decision per user and purpose, kept in step with
// ConsentEvent in the same transaction so a check is one indexed read.
type Consent struct{ ent.Schema }

func (Consent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("purpose").GoType(pii.Purpose("")).Immutable(),
		field.Bool("granted"),
		field.String("policy_version"),
		field.Time("updated_at").Default(time.Now),
	}
}

func (Consent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("consents").Field("user_id").Unique().Required().Immutable(),
	}
}

func (Consent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "purpose").Unique()}
}

func (Consent) Annotations() []schema.Annotation { return skipGQL() }

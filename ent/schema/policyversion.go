package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// The privacy records (P1-P5, Y2). They have no GraphQL types of their own:
// schema/privacy.graphql declares the types the graph shows.

// PolicyVersion is one published version of the privacy policy.
type PolicyVersion struct{ ent.Schema }

func (PolicyVersion) Fields() []ent.Field {
	return []ent.Field{
		// Order of publication; users store the newest seq they accepted.
		field.Int("seq").Unique().Immutable().Positive(),
		field.String("version").Unique().Immutable().NotEmpty().MaxRuneLen(32),
		field.Time("effective_at").Immutable(),
		field.Text("summary").Immutable(),
		// A major change blocks users until they accept it (§9.2).
		field.Bool("major").Immutable(),
		field.String("url").Optional().Nillable().Immutable(),
		field.Int("published_by").Optional().Nillable().Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (PolicyVersion) Annotations() []schema.Annotation { return skipGQL() }

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

// AccountChange records that a user corrected part of their account (R1):
// which part and when, never the old or new value.
type AccountChange struct{ ent.Schema }

func (AccountChange) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Enum("field").Values("NICKNAME", "AVATAR", "SCHOOL", "PHONE", "KIN_ARRANGEMENT").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (AccountChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("account_changes").Field("user_id").Unique().Required().Immutable(),
	}
}

func (AccountChange) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id", "created_at")} }

func (AccountChange) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Proof,
		What: "a correction the user made (which part, when; never the values)", Retention: pii.UntilAccountCancelled})
}

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

// PolicyAcceptance records that a user accepted a version (append-only).
type PolicyAcceptance struct{ ent.Schema }

func (PolicyAcceptance) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("policy_seq").Immutable(),
		field.String("version").Immutable(),
		field.Enum("channel").Values("POPUP", "SETTINGS", "REGISTRATION").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (PolicyAcceptance) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("policy_acceptances").Field("user_id").Unique().Required().Immutable(),
	}
}

func (PolicyAcceptance) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }

func (PolicyAcceptance) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Proof,
		What: "a privacy policy version accepted: version, channel, time", Retention: proofOfAccount})
}

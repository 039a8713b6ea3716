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

// ConsentEvent is the append-only history of consent decisions (P2).
type ConsentEvent struct{ ent.Schema }

func (ConsentEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("purpose").GoType(pii.Purpose("")).Immutable(),
		field.Enum("decision").Values("GRANTED", "WITHDRAWN").Immutable(),
		field.String("policy_version").Immutable(),
		field.Enum("channel").Values("POPUP", "SETTINGS", "REGISTRATION").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (ConsentEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("consent_events").Field("user_id").Unique().Required().Immutable(),
	}
}

func (ConsentEvent) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id", "created_at")} }

func (ConsentEvent) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Proof,
		What: "a consent granted or withdrawn: purpose, policy version, channel, time", Retention: proofOfAccount})
}

// proofOfAccount keeps the proof of what a user agreed to and changed
// while the account exists (the processor must show consent was given,
// PIPL art. 14, 69) and for the limitation period after its cancellation.
var proofOfAccount = pii.Keep{For: pii.Years(3), From: "users.cancelled_at", Where: "kept while the account exists",
	Then: pii.Delete, Basis: pii.LimitationPeriod}

package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/pii"
)

// The privacy records (P1-P5, Y2). They have no GraphQL types of their own:
// schema/privacy.graphql declares the types the graph shows.

func skipGQL() []schema.Annotation { return []schema.Annotation{entgql.Skip(entgql.SkipAll)} }

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

func (PolicyAcceptance) Annotations() []schema.Annotation { return skipGQL() }

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

func (ConsentEvent) Annotations() []schema.Annotation { return skipGQL() }

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

// DevicePermission is what the phone of one session allows (P3).
type DevicePermission struct{ ent.Schema }

func (DevicePermission) Fields() []ent.Field {
	return []ent.Field{
		field.Int("session_id").Unique().Immutable(),
		field.Enum("platform").Values("ANDROID", "IOS", "HARMONY", "WEB"),
		field.Bool("phone").Default(false),
		field.Bool("camera").Default(false),
		field.Bool("album").Default(false),
		field.Bool("location").Default(false),
		field.Bool("storage").Default(false),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (DevicePermission) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("session", Session.Type).Ref("device_permissions").Field("session_id").Unique().Required().Immutable(),
	}
}

func (DevicePermission) Annotations() []schema.Annotation { return skipGQL() }

// SensitiveAccess is the audit trail of reveals of masked data (Y2).
type SensitiveAccess struct{ ent.Schema }

func (SensitiveAccess) Fields() []ent.Field {
	return []ent.Field{
		field.Int("actor_id").Immutable(),
		field.Enum("actor_role").Values("STUDENT", "MERCHANT", "RUNNER", "STAFF").Immutable(),
		field.Int("subject_id").Immutable(),
		// The GraphQL field revealed, e.g. Account.phone.
		field.String("field").Immutable().MaxLen(64),
		field.String("reason").Immutable().MaxRuneLen(500),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (SensitiveAccess) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject_id", "created_at")}
}

func (SensitiveAccess) Annotations() []schema.Annotation { return skipGQL() }

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

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

// The reveal audit is a security log: who looked at whose masked data.
func (SensitiveAccess) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.SecurityLog,
		What:      "a reveal of masked data: actor, subject, field, reason (mySensitiveDataAccess)",
		Retention: pii.Keep{For: pii.Months(6), From: "created_at", Then: pii.Delete, Basis: pii.CybersecurityLaw}})
}

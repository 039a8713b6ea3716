package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Session is a bearer token. Only its SHA-256 is stored: a database reader
// cannot replay a session.
type Session struct{ ent.Schema }

func (Session) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("token_hash").Unique().Immutable().Sensitive(),
		field.Int("user_id").Immutable(),
		field.Time("expires_at"),
		field.Time("revoked_at").Optional().Nillable(),
		// Until when the owner may reveal their own masked fields, after a
		// fresh SMS verification (Y2).
		field.Time("reveal_until").Optional().Nillable(),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
		edge.To("device_permissions", DevicePermission.Type).Unique().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Session) Indexes() []ent.Index {
	// expires_at: the sweep deletes expired sessions on every instance.
	return []ent.Index{index.Fields("user_id"), index.Fields("expires_at")}
}

func (Session) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Credential,
		What: "a bearer session (token hash, user, expiry): a credential, not a log; the log-in itself is a line of the server log",
		Retention: pii.Until{{When: "the session expires or is revoked (log-out, phone change, account cancellation)",
			By: "auth sweep (every 10 minutes, internal/domain/auth)"}}})
}

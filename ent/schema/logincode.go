package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// LoginCode is one SMS code sent to a phone number. The number is stored only
// as a keyed hash and the code only as an HMAC.
type LoginCode struct{ ent.Schema }

func (LoginCode) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (LoginCode) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("phone_hash").Immutable().Sensitive().
			Annotations(pii.Field{Category: "手机号码", Purpose: pii.Account, Lookup: true,
				Retention: codeRetention}),
		// What the code is for: logging in, or revealing one's own masked data.
		field.Enum("purpose").Values("LOGIN", "REVEAL", "PHONE_OLD", "PHONE_NEW").Default("LOGIN").Immutable(),
		field.Bytes("code_hash").Immutable().Sensitive(),
		field.Time("expires_at").Immutable(),
		field.Int("attempts").Default(0).NonNegative(),
		field.Time("consumed_at").Optional().Nillable(),
	}
}

// codeRetention: a code is of no use once it has expired; the hour leaves
// its failed attempts counted against a guesser.
var codeRetention = pii.Until{{When: "an hour after the code expires", By: "auth sweep (every 10 minutes, internal/domain/auth)"}}

func (LoginCode) Indexes() []ent.Index {
	return []ent.Index{index.Fields("phone_hash", "purpose", "created_at"), index.Fields("expires_at")}
}

func (LoginCode) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Credential,
		What: "an SMS code: keyed hash of the number, HMAC of the code, attempts", Retention: codeRetention})
}

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/domain/credential"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// StarCard is a student credential (C1) that unlocks perks at merchants.
type StarCard struct{ ent.Schema }

func (StarCard) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("number").Unique().Immutable(),
		field.Enum("kind").Values("STAR_CARD", "PLANET_RESIDENT").Immutable(),
		field.Enum("gender").Values("FEMALE", "MALE", "UNDISCLOSED").Immutable().
			Annotations(pii.Field{Category: "性别", Purpose: pii.StarCard, Exposes: []string{"StarCard.gender"},
				Retention: pii.UntilAccountCancelled}),
		field.String("school").Immutable().MaxRuneLen(credential.MaxSchoolRunes),
		field.Int("schooling_years").Immutable().Range(1, credential.MaxSchoolingYears),
		field.Int("enrolment_year").Immutable().Range(1990, 2100),
		field.Enum("status").Values("ACTIVE", "REVOKED").Default("ACTIVE"),
		field.Time("issued_at").Immutable().Default(time.Now),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (StarCard) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id"), index.Fields("status", "revoked_at")} // the revocation list
}

func (StarCard) Annotations() []schema.Annotation { return skipGQL() }

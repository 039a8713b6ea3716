package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// User is a person with an account. The GraphQL User type is the public
// profile; owner-only data (phone, birth date, role) is served on Account,
// which only `me` returns, and users can be neither filtered nor sorted.
type User struct{ ent.Schema }

func (User) Fields() []ent.Field {
	return []ent.Field{
		// Not TimeMixin: when someone joined is not part of the public profile.
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Keyed hash of the normalised phone number: log-in look-up and uniqueness.
		field.Bytes("phone_hash").Unique().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The phone number itself, sealed by the data key ring.
		field.Bytes("phone_cipher").Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("nickname").NotEmpty().MaxLen(32),
		field.String("avatar_url").Optional().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("birth_date").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("role").Values("STUDENT", "MERCHANT", "RUNNER", "STAFF").Default("STUDENT").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("reviews", Review.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField,
			entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

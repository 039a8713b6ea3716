package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// RateCounter counts events of one key in one fixed window. It lives in the
// database so that every server instance shares the same limits.
type RateCounter struct{ ent.Schema }

func (RateCounter) Fields() []ent.Field {
	return []ent.Field{
		// A limit name and a keyed hash of the subject (phone or client IP).
		field.String("key").Immutable().MaxLen(128),
		field.Time("window_start").Immutable(),
		field.Int("count").Default(0),
		field.Time("expires_at").Immutable(),
	}
}

func (RateCounter) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key", "window_start").Unique(),
		index.Fields("expires_at"),
	}
}

func (RateCounter) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Credential,
		What:      "a count of one keyed subject's events (phone or client IP hash) in one window",
		Retention: pii.Until{{When: "its window ends", By: "rate-limit sweep (with the auth sweep, every 10 minutes)"}}})
}

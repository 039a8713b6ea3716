package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Favorite is a product a user keeps (S2).
type Favorite struct{ ent.Schema }

func (Favorite) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (Favorite) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "product_id").Unique()}
}

func (Favorite) Annotations() []schema.Annotation { return skipGQL() }

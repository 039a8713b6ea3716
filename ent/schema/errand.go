package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Errand is a parcel pick-up run a student posts and a runner takes.
type Errand struct{ ent.Schema }

func (Errand) Fields() []ent.Field {
	const keep = "until the parcel is picked up (or the errand ends); erased then"
	return append([]ent.Field{
		field.Int("requester_id").Immutable(),
		field.Int("runner_id").Optional().Nillable(),
		field.Enum("status").Values("OPEN", "TAKEN", "PICKED_UP", "DELIVERED", "COMPLETED", "CANCELLED").Default("OPEN"),
		// What runners choose by: no personal data.
		field.String("area").MaxRuneLen(64),
		field.String("pickup_place").MaxRuneLen(128),
		field.Enum("parcel_type").Values("DOCUMENT", "SMALL", "MEDIUM", "LARGE", "FRESH"),
		field.Int("weight_grams").Range(1, 30000),
		field.Int64("reward_fen").Range(100, 100000),
		// The pick-up code or QR payload: the requester and the assigned
		// runner only, erased once the parcel is picked up.
		field.Bytes("credential_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "取件凭证", Purpose: pii.Errands, Sensitive: true, Sealed: true,
				Mask: mask.KindSecret, Exposes: []string{"Errand.credential"}, Retention: keep}),
		field.String("photo_key").Optional().Nillable().
			Annotations(pii.Field{Category: "快递照片", Purpose: pii.Errands, Exposes: []string{"Errand.photoURL"},
				Retention: "until the errand ends"}),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}, deliveryFields("ErrandDelivery", pii.Errands, "3 years after the errand ends (transaction record), then deleted")...)
}

// The columns stay where they were; the edges only add foreign keys.
func (Errand) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("requester", User.Type).Ref("errands").Field("requester_id").Unique().Required().Immutable(),
		edge.From("runner", User.Type).Ref("runner_errands").Field("runner_id").Unique(),
	}
}

func (Errand) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "area"), index.Fields("requester_id"), index.Fields("runner_id")}
}

func (Errand) Annotations() []schema.Annotation { return skipGQL() }

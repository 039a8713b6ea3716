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
	keep := pii.Until{{When: "the parcel is picked up or the errand ends", By: "errands.Move (picking up, completing, cancelling)"},
		pii.AccountCancelled}
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
				Retention: errandPhoto}),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}, deliveryFields("ErrandDelivery", pii.Errands, errandRecord.OrSooner(pii.AccountCancelledDeidentified))...)
}

// errandRecord is how long an errand is kept: a paid service, a
// transaction record (T1). An ended errand changes no more, so updated_at
// is when it ended.
var errandRecord = pii.Keep{For: pii.Years(3), From: "updated_at", Where: "COMPLETED or CANCELLED",
	Then: pii.Delete, Basis: pii.ECommerceLaw}

// errandPhoto: an errand left DELIVERED is completed automatically after
// this, which erases the parcel photo (the retention runner).
var errandPhoto = pii.Keep{For: pii.Days(7), From: "updated_at", Where: "DELIVERED: then completed automatically",
	Then: pii.Erase, Basis: pii.Necessity,
	Or: []pii.Ending{{When: "the errand ends", By: "errands.Move (completing, cancelling)"}, pii.AccountCancelled}}

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

func (Errand) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Transaction,
		What: "a parcel pick-up errand: requester, runner, reward, status, delivery snapshot", Retention: errandRecord})
}

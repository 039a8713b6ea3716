package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Feedback is a message to the platform with a phone or email to answer on
// (X3). The contact is collected only with the FEEDBACK consent.
type Feedback struct{ ent.Schema }

func (Feedback) Fields() []ent.Field {
	// Time enough to answer and follow up; feedback has no closing step.
	contact := pii.Keep{For: pii.Years(1), From: "created_at", Then: pii.Delete, Basis: pii.Necessity,
		Or: []pii.Ending{pii.AccountCancelled}}
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Text("text").Immutable().NotEmpty().MaxRuneLen(2000),
		field.Bytes("contact_phone_cipher").Optional().Nillable().Immutable().Sensitive().
			Annotations(pii.Field{
				Category: "手机号码", Purpose: pii.Feedback, Sensitive: true, Sealed: true,
				Mask: mask.KindPhone, Exposes: []string{"Feedback.contactPhone"},
				Retention: contact,
			}),
		field.Bytes("contact_email_cipher").Optional().Nillable().Immutable().Sensitive().
			Annotations(pii.Field{
				Category: "邮箱", Purpose: pii.Feedback, Sealed: true,
				Mask: mask.KindEmail, Exposes: []string{"Feedback.contactEmail"},
				Retention: contact,
			}),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (Feedback) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id", "created_at")} }

func (Feedback) Annotations() []schema.Annotation { return skipGQL() }

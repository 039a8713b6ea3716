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

// PrivacyRequest is a request to exercise a right (R2, R7, R8, K2), made by
// the user or, for a deceased user, by a next of kin with documents. Each
// is due 15 working days after it arrives; staff answer or refuse it with a
// reason.
type PrivacyRequest struct{ ent.Schema }

func (PrivacyRequest) Fields() []ent.Field {
	// Evidence of how the request was handled, should it be disputed.
	handled := pii.Keep{For: pii.Years(3), From: "answered_at", Where: "ANSWERED or REFUSED",
		Then: pii.Delete, Basis: pii.LimitationPeriod}
	return []ent.Field{
		// The user the request is about; nil once that account is gone.
		field.Int("user_id").Optional().Nillable(),
		field.Enum("kind").Values("ACCESS", "COPY", "CORRECT", "DELETE", "RESTRICT", "CANCEL",
			"EXPLAIN", "COMPLAINT").Immutable(),
		field.Enum("requester").Values("SELF", "NEXT_OF_KIN").Default("SELF").Immutable(),
		field.Enum("status").Values("OPEN", "ANSWERED", "REFUSED").Default("OPEN"),
		field.Bytes("details_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{
				Category: "请求内容", Purpose: pii.LegalCompliance, Sealed: true,
				// Shown whole to its author and to the staff who handle it.
				Retention: handled,
			}),
		// A next of kin's name, contact and documents (their ID, the death
		// certificate, proof of kinship), for staff review.
		field.Bytes("kin_name_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{
				Category: "近亲属姓名", Purpose: pii.LegalCompliance, Sensitive: true, Sealed: true,
				Mask: mask.KindName, Exposes: []string{"StaffPrivacyRequest.kinName"},
				Retention: handled,
			}),
		field.Bytes("kin_contact_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{
				Category: "近亲属联系方式", Purpose: pii.LegalCompliance, Sensitive: true, Sealed: true,
				Mask: mask.KindPhone, Exposes: []string{"StaffPrivacyRequest.kinContact"},
				Retention: handled,
			}),
		field.String("kin_relation").Optional().MaxRuneLen(32),
		field.Bytes("kin_documents_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{
				Category: "身份证明与死亡证明文件", Purpose: pii.LegalCompliance, Sensitive: true, Sealed: true,
				Retention: pii.Until{{When: "the request is answered or refused",
					By: "answering or refusing it (internal/domain/rights)"}},
			}),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("due_at").Immutable(),
		field.Time("answered_at").Optional().Nillable(),
		field.Text("answer").Optional().MaxRuneLen(4000),
		field.Int("handled_by").Optional().Nillable(),
	}
}

func (PrivacyRequest) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("privacy_requests").Field("user_id").Unique(),
	}
}

func (PrivacyRequest) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "due_at"), index.Fields("user_id", "created_at")}
}

func (PrivacyRequest) Annotations() []schema.Annotation { return skipGQL() }

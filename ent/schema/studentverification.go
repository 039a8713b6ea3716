package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// StudentVerification is a user's verified student identity (S4).
type StudentVerification struct{ ent.Schema }

func (StudentVerification) Fields() []ent.Field {
	keep := pii.Until{{When: "SENSITIVE_IDENTITY is withdrawn", By: "withdrawal of SENSITIVE_IDENTITY (internal/domain/student)"},
		pii.AccountCancelled}
	return []ent.Field{
		field.Int("user_id").Unique().Immutable(),
		field.Bytes("name_cipher").Sensitive().
			Annotations(pii.Field{Category: "姓名", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true,
				Mask: mask.KindName, Exposes: []string{"StudentVerification.name"}, Retention: keep}),
		field.Bytes("id_number_cipher").Sensitive().
			Annotations(pii.Field{Category: "身份证号", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true,
				Mask: mask.KindIDNumber, Exposes: []string{"StudentVerification.idNumber"}, Retention: keep}),
		// One verified identity per ID number, found by keyed hash; set only
		// when verified, so a refused attempt with someone's number blocks
		// nobody.
		field.Bytes("id_number_hash").Optional().Nillable().Unique().Sensitive().
			Annotations(pii.Field{Category: "身份证号", Purpose: pii.SensitiveID, Lookup: true, Retention: keep}),
		// The card photo and the CHSI code are kept only for a verified
		// identity: a refused attempt has no use for them.
		field.Bytes("card_photo_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "学生证照片", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true, Retention: keep}),
		field.Bytes("chsi_code_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "学信网验证码", Purpose: pii.ShareVerifier, Sensitive: true, Sealed: true, Retention: keep}),
		field.String("school").MaxRuneLen(64),
		field.Enum("status").Values("VERIFIED", "REJECTED"),
		field.String("reason").Optional(),
		field.String("provider_ref").Optional(),
		field.Time("verified_at").Optional().Nillable(),
		field.Time("enrolled_until").Optional().Nillable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (StudentVerification) Annotations() []schema.Annotation { return skipGQL() }

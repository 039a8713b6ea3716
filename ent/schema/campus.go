package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/credential"
	"github.com/tongxue/tongxue/internal/mask"
	"github.com/tongxue/tongxue/internal/pii"
)

// Errands (E1, E2) and star cards (C1, C2).

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

func (Errand) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "area"), index.Fields("requester_id"), index.Fields("runner_id")}
}

func (Errand) Annotations() []schema.Annotation { return skipGQL() }

// StarCard is a student credential (C1) that unlocks perks at merchants.
type StarCard struct{ ent.Schema }

func (StarCard) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("number").Unique().Immutable(),
		field.Enum("kind").Values("STAR_CARD", "PLANET_RESIDENT").Immutable(),
		field.Enum("gender").Values("FEMALE", "MALE", "UNDISCLOSED").Immutable().
			Annotations(pii.Field{Category: "性别", Purpose: pii.StarCard, Exposes: []string{"StarCard.gender"},
				Retention: "while the card is valid; deleted with the account"}),
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

// BankAccount is a star card's Class II bank account (C2), opened by the
// partner bank from what the student sent with their separate consents.
type BankAccount struct{ ent.Schema }

func (BankAccount) Fields() []ent.Field {
	const keep = "while the account is open; deleted when it closes or the account is cancelled"
	const untilAnswer = "until the partner bank answers the application, then erased"
	return []ent.Field{
		field.Int("user_id").Unique().Immutable(),
		field.String("application_id").Unique().Immutable(),
		field.Bytes("name_cipher").Sensitive().
			Annotations(pii.Field{Category: "姓名", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true,
				Mask: mask.KindName, Exposes: []string{"BankAccount.holderName"}, Retention: keep}),
		// Kept only until the bank answers (a retry resends the application
		// as it was), then erased.
		field.Bytes("id_number_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "身份证号", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true, Retention: untilAnswer}),
		field.Bytes("id_photo_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "身份证照片（正面）", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true, Retention: untilAnswer}),
		field.Bytes("id_photo_back_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "身份证照片（背面）", Purpose: pii.SensitiveID, Sensitive: true, Sealed: true, Retention: untilAnswer}),
		field.Bytes("face_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "人脸信息", Purpose: pii.SensitiveFace, Sensitive: true, Sealed: true, Retention: untilAnswer}),
		field.Bytes("bound_card_cipher").Sensitive().
			Annotations(pii.Field{Category: "银行卡号", Purpose: pii.SensitiveMoney, Sensitive: true, Sealed: true,
				Mask: mask.KindBankCard, Exposes: []string{"BankAccount.boundCard"}, Retention: keep}),
		field.Bytes("account_number_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{Category: "二类户账号", Purpose: pii.SensitiveMoney, Sensitive: true, Sealed: true,
				Mask: mask.KindBankCard, Exposes: []string{"BankAccount.accountNumber"}, Retention: keep}),
		field.String("bank").Immutable(),
		field.String("bank_ref").Optional(),
		field.Enum("status").Values("OPEN", "PENDING", "REJECTED", "FROZEN", "CLOSED"),
		field.String("reason").Optional(),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (BankAccount) Annotations() []schema.Annotation { return skipGQL() }

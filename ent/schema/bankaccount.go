package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// BankAccount is a star card's Class II bank account (C2), opened by the
// partner bank from what the student sent with their separate consents.
type BankAccount struct{ ent.Schema }

func (BankAccount) Fields() []ent.Field {
	keep := pii.Until{{When: "the bank account closes", By: "closing the account at the partner bank"}, pii.AccountCancelled}
	// Kept for a resend while the bank's answer is unknown.
	untilAnswer := pii.Until{{When: "the partner bank answers the application",
		By: "the answer (internal/domain/bankaccounts); retention runner (hourly): answered applications still holding them"},
		pii.AccountCancelled}
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

// The column stays where it was; the edge only adds a foreign key.
func (BankAccount) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("bank_account").Field("user_id").Unique().Required().Immutable(),
	}
}

func (BankAccount) Annotations() []schema.Annotation { return skipGQL() }

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/mask"
	"github.com/tongxue/tongxue/internal/pii"
)

// Shopping records (S2, S3, S5, S6). Their GraphQL types are hand-written in
// schema/shopping.graphql: none of them is a Node, so no one reaches another
// user's cart, address or order through node(id).

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

// CartItem is a product and quantity in a user's cart (S2).
type CartItem struct{ ent.Schema }

func (CartItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.Int("quantity").Range(1, 99),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (CartItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "product_id").Unique()}
}

func (CartItem) Annotations() []schema.Annotation { return skipGQL() }

// delivery fields: recipient, phone and address, sealed (S6).
func deliveryFields(exposed string, purpose pii.Purpose, retention string) []ent.Field {
	return []ent.Field{
		field.Bytes("recipient_name_cipher").Sensitive().
			Annotations(pii.Field{Category: "收货人姓名", Purpose: purpose, Sensitive: true, Sealed: true,
				Mask: mask.KindName, Exposes: []string{exposed + ".recipientName"}, Retention: retention}),
		field.Bytes("recipient_phone_cipher").Sensitive().
			Annotations(pii.Field{Category: "收货人电话", Purpose: purpose, Sensitive: true, Sealed: true,
				Mask: mask.KindPhone, Exposes: []string{exposed + ".phone"}, Retention: retention}),
		field.Bytes("address_cipher").Sensitive().
			Annotations(pii.Field{Category: "收货地址", Purpose: purpose, Sensitive: true, Sealed: true,
				Mask: mask.KindAddress, Exposes: []string{exposed + ".address"}, Retention: retention}),
	}
}

// Address is a delivery address of a user (S6).
type Address struct{ ent.Schema }

func (Address) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int("user_id").Immutable(),
		field.String("label").Default("").MaxRuneLen(16),
		field.Bool("is_default").Default(false),
		field.Time("created_at").Immutable().Default(time.Now),
	}, deliveryFields("Address", pii.Shopping, "until the user deletes it or cancels the account")...)
}

func (Address) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id")} }

func (Address) Annotations() []schema.Annotation { return skipGQL() }

// Order is one purchase from one merchant (S3). The delivery details are a
// snapshot taken when the order is placed.
type Order struct{ ent.Schema }

func (Order) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("order_no").Unique().Immutable().MaxLen(32),
		field.Int("user_id").Immutable(),
		field.Int("merchant_id").Immutable(),
		field.Int("courier_id").Optional().Nillable(),
		// A retried placeOrder with the same key returns this order.
		field.String("idempotency_key").Immutable().MaxLen(64),
		field.Enum("status").Values("AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED",
			"COMPLETED", "CANCELLED", "REFUND_REQUESTED", "REFUNDED").Default("AWAITING_PAYMENT"),
		field.Int64("total_fen").Immutable().NonNegative(),
		field.Int64("paid_fen").Optional().Nillable(),
		field.String("payment_provider").Immutable(),
		field.String("provider_ref").Optional().Nillable(),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("pay_before").Immutable(),
		field.Time("paid_at").Optional().Nillable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}, deliveryFields("Delivery", pii.Shopping, "3 years after the order completes (E-Commerce Law), then deleted")...)
}

func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "idempotency_key").Unique(),
		index.Fields("user_id", "created_at"),
		index.Fields("merchant_id", "created_at"),
		index.Fields("status", "pay_before"),
		index.Fields("courier_id"),
	}
}

func (Order) Annotations() []schema.Annotation { return skipGQL() }

// OrderItem is a product line of an order, priced when the order was placed.
type OrderItem struct{ ent.Schema }

func (OrderItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.String("name").Immutable(),
		field.Int64("unit_price_fen").Immutable().NonNegative(),
		field.Int("quantity").Immutable().Positive(),
	}
}

func (OrderItem) Indexes() []ent.Index { return []ent.Index{index.Fields("order_id")} }

func (OrderItem) Annotations() []schema.Annotation { return skipGQL() }

// OrderEvent is a status change, stored durably: a subscriber that
// reconnects replays the ones it missed (by id, which grows).
type OrderEvent struct{ ent.Schema }

func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("merchant_id").Immutable(),
		field.String("status").Immutable(),
		field.String("previous_status").Immutable(),
		field.Enum("actor").Values("BUYER", "MERCHANT", "COURIER", "PAYMENT", "SYSTEM", "STAFF").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("user_id"), index.Fields("merchant_id")}
}

func (OrderEvent) Annotations() []schema.Annotation { return skipGQL() }

// PaymentCallback is a processed provider notification: its event id makes
// a replayed or retried callback a no-op.
type PaymentCallback struct{ ent.Schema }

func (PaymentCallback) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider").Immutable(),
		field.String("event_id").Immutable().MaxLen(128),
		field.String("nonce").Immutable().MaxLen(128),
		field.Int("order_id").Immutable(),
		field.String("status").Immutable(),
		field.Time("received_at").Immutable().Default(time.Now),
	}
}

func (PaymentCallback) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("provider", "event_id").Unique(),
		index.Fields("provider", "nonce").Unique(),
	}
}

func (PaymentCallback) Annotations() []schema.Annotation { return skipGQL() }

// SharingRecord is one hand-over of a user's personal data to another party
// (D1), written in the same transaction as the hand-over.
type SharingRecord struct{ ent.Schema }

func (SharingRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("recipient").Immutable(),
		field.String("recipient_contact").Immutable(),
		field.String("purpose").GoType(pii.Purpose("")).Immutable(),
		field.String("method").Immutable(),
		field.String("data_categories").Immutable(),
		field.String("reference").Optional().Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

func (SharingRecord) Indexes() []ent.Index { return []ent.Index{index.Fields("user_id", "created_at")} }

func (SharingRecord) Annotations() []schema.Annotation { return skipGQL() }

// StudentVerification is a user's verified student identity (S4).
type StudentVerification struct{ ent.Schema }

func (StudentVerification) Fields() []ent.Field {
	const keep = "while the student identity is in use; deleted with the account"
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

package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// delivery fields: recipient, phone and address, sealed (S6).
func deliveryFields(exposed string, purpose pii.Purpose, retention pii.Rule) []ent.Field {
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

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// DevicePermission is what the phone of one session allows (P3).
type DevicePermission struct{ ent.Schema }

func (DevicePermission) Fields() []ent.Field {
	return []ent.Field{
		field.Int("session_id").Unique().Immutable(),
		field.Enum("platform").Values("ANDROID", "IOS", "HARMONY", "WEB"),
		field.Bool("phone").Default(false),
		field.Bool("camera").Default(false),
		field.Bool("album").Default(false),
		field.Bool("location").Default(false),
		field.Bool("storage").Default(false),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

func (DevicePermission) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("session", Session.Type).Ref("device_permissions").Field("session_id").Unique().Required().Immutable(),
	}
}

func (DevicePermission) Annotations() []schema.Annotation {
	return append(skipGQL(), pii.Records{Kind: pii.Credential,
		What:      "the device permissions an app session reported",
		Retention: pii.Until{{When: "its session ends", By: "deleted with the session (foreign key, auth sweep)"}}})
}

package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// DataExport is a copy of a user's personal data (R6): a ZIP built from the
// map of personal data, sealed at rest, downloaded once by its owner through
// a link that expires.
type DataExport struct{ ent.Schema }

func (DataExport) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Enum("status").Values("PENDING", "READY", "DOWNLOADED", "EXPIRED", "FAILED").Default("PENDING"),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("ready_at").Optional().Nillable(),
		// The link works until then, once; the archive is deleted after it.
		field.Time("expires_at").Optional().Nillable(),
		field.Time("downloaded_at").Optional().Nillable(),
		// SHA-256 of the single-use download token; the token is shown once.
		field.Bytes("token_hash").Optional().Nillable().Unique().Sensitive(),
		field.Bytes("archive_cipher").Optional().Nillable().Sensitive().
			Annotations(pii.Field{
				Category: "个人信息副本", Purpose: pii.Account, Sensitive: true, Sealed: true,
				Retention: pii.Keep{For: pii.Days(7), From: "ready_at", Then: pii.Erase, Basis: pii.Necessity,
					Or: []pii.Ending{{When: "its owner downloads it", By: "the download (internal/domain/dataexport)"}}},
			}),
		field.Int("size_bytes").Optional().NonNegative(),
	}
}

func (DataExport) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("data_exports").Field("user_id").Unique().Required().Immutable(),
	}
}

func (DataExport) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "created_at"), index.Fields("status", "expires_at")}
}

func (DataExport) Annotations() []schema.Annotation { return skipGQL() }

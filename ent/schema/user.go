package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// User is a person with an account. The GraphQL User type is the public
// profile; owner-only data (phone, birth date, role) is served on Account,
// which only `me` returns (staff get StaffAccountView: no birth date), and
// users can be neither filtered nor sorted.
type User struct{ ent.Schema }

func (User) Fields() []ent.Field {
	// The public profile: replaced when the user corrects it.
	profile := pii.Until{pii.ChangedByOwner, pii.AccountCancelled}
	return []ent.Field{
		// Not TimeMixin: when someone joined is not part of the public profile.
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Keyed hash of the normalised phone number: log-in look-up and uniqueness.
		field.Bytes("phone_hash").Unique().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll), pii.Field{
				Category: "手机号码", Purpose: pii.Account, Lookup: true,
				Retention: pii.UntilAccountCancelled,
			}),
		// The phone number itself, sealed by the data key ring.
		field.Bytes("phone_cipher").Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll), pii.Field{
				Category: "手机号码", Purpose: pii.Account, Sensitive: true, Sealed: true,
				Mask: mask.KindPhone, Exposes: []string{"Account.phone", "StaffAccountView.phone"},
				Retention: pii.UntilAccountCancelled,
			}),
		field.String("nickname").NotEmpty().MaxRuneLen(32).
			Annotations(pii.Field{
				Category: "昵称", Purpose: pii.Wow, Exposes: []string{"User.nickname", "Account.profile", "StaffAccountView.profile"},
				Retention: profile,
			}),
		field.String("avatar_url").Optional().
			Annotations(entgql.Skip(entgql.SkipWhereInput), pii.Field{
				Category: "头像", Purpose: pii.Wow, Exposes: []string{"User.avatarURL"},
				Retention: profile,
			}),
		field.Time("birth_date").
			Annotations(entgql.Skip(entgql.SkipAll), pii.Field{
				Category: "出生日期", Purpose: pii.Account, Exposes: []string{"Account.birthDate"},
				Retention: pii.UntilAccountCancelled, // the age check (§8)
			}),
		// Public profile (W2): the school (the wow count is summed from posts).
		field.String("school").Optional().MaxRuneLen(64).
			Annotations(entgql.Skip(entgql.SkipWhereInput), pii.Field{
				Category: "所在学校", Purpose: pii.Wow, Exposes: []string{"User.school"},
				Retention: profile,
			}),
		field.Enum("role").Values("STUDENT", "MERCHANT", "RUNNER", "STAFF").Default("STUDENT").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Purposes the user consented to, kept in step with the consents table
		// in the same transaction, so each request reads them with the session.
		field.Strings("consented").Default([]string{}).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Sequence number of the newest privacy policy version accepted.
		field.Int("accepted_policy_seq").Default(0).NonNegative().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Account cancellation (R3): CANCELLING during the cooling-off period
		// (cancel_after is when it ends; logging in stops it), then CANCELLED:
		// the row stays, stripped of every personal value, as long as records
		// the law keeps (orders) point at it.
		field.Enum("status").Values("ACTIVE", "CANCELLING", "CANCELLED").Default("ACTIVE").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("cancel_after").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("cancelled_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// What the user arranged for their data after their death (R7): nil
		// when nothing is recorded (next of kin may then act as the law allows).
		field.Enum("kin_arrangement").Values("KIN_MAY_ACT", "NO_KIN_ACCESS").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("reviews", Review.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("consents", Consent.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("consent_events", ConsentEvent.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("policy_acceptances", PolicyAcceptance.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("posts", Post.Type).Annotations(entgql.RelayConnection()),
		edge.To("following", Follow.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("followers", Follow.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		// Foreign keys only (no graph field). Orders and errands are records
		// kept after the account (retention): deleting a user who has some
		// is refused until they are dealt with; a courier or runner leaving
		// keeps the record without them. A cart and a bank account go with
		// the user.
		edge.To("orders", Order.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("courier_orders", Order.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.SetNull)),
		edge.To("errands", Errand.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("runner_errands", Errand.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.SetNull)),
		edge.To("cart_items", CartItem.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
		edge.To("bank_account", BankAccount.Type).Unique().Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
		edge.To("data_exports", DataExport.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
		edge.To("account_changes", AccountChange.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.Cascade)),
		edge.To("privacy_requests", PrivacyRequest.Type).Annotations(entgql.Skip(entgql.SkipAll), entsql.OnDelete(entsql.SetNull)),
	}
}

// Cancellations due are found by status and the end of the cooling-off period.
func (User) Indexes() []ent.Index { return []ent.Index{index.Fields("status", "cancel_after")} }

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField,
			entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

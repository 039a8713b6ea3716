package retention_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// logCase is a table whose rows the runner deletes whole after a period:
// add stores a row whose period starts at `from` and another the rule must
// never delete; exists tells whether a row is still there.
type logCase struct {
	rule, table, column string // the rule and its declaration
	add                 func(f *fixture, from time.Time) (due, never int)
	exists              func(f *fixture, id int) bool
}

var logCases = []logCase{
	{rule: "reveal audit", table: sensitiveaccess.Table,
		add: func(f *fixture, from time.Time) (int, int) {
			u := f.user()
			return f.db.Client.SensitiveAccess.Create().SetActorID(u.ID).SetActorRole(sensitiveaccess.ActorRoleSTAFF).
				SetSubjectID(u.ID).SetField("Account.phone").SetReason("客服核实").SetCreatedAt(from).SaveX(f.ctx()).ID, 0
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.SensitiveAccess.Query().Where(sensitiveaccess.ID(id)).ExistX(f.ctx())
		}},
	{rule: "sharing ledger", table: sharingrecord.Table,
		add: func(f *fixture, from time.Time) (int, int) {
			u := f.user()
			return f.db.Client.SharingRecord.Create().SetUserID(u.ID).SetRecipient("商家").SetRecipientContact("in-app").
				SetPurpose(pii.ShareMerchant).SetMethod("platform").SetDataCategories("订单信息").SetCreatedAt(from).
				SaveX(f.ctx()).ID, 0
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.SharingRecord.Query().Where(sharingrecord.ID(id)).ExistX(f.ctx())
		}},
	{rule: "consent history", table: consentevent.Table,
		add: func(f *fixture, from time.Time) (int, int) {
			event := func(userID int) int {
				return f.db.Client.ConsentEvent.Create().SetUserID(userID).SetPurpose(pii.Location).
					SetDecision(consentevent.DecisionGRANTED).SetPolicyVersion("2024-02-22").
					SetChannel(consentevent.ChannelPOPUP).SetCreatedAt(from.AddDate(-1, 0, 0)).SaveX(f.ctx()).ID
			}
			return event(f.cancelledUser(from).ID), event(f.user().ID) // an account that exists keeps its proof
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.ConsentEvent.Query().Where(consentevent.ID(id)).ExistX(f.ctx())
		}},
	{rule: "policy acceptances", table: policyacceptance.Table,
		add: func(f *fixture, from time.Time) (int, int) {
			accept := func(userID int) int {
				return f.db.Client.PolicyAcceptance.Create().SetUserID(userID).SetPolicySeq(1).SetVersion("2024-02-22").
					SetChannel(policyacceptance.ChannelREGISTRATION).SetCreatedAt(from.AddDate(-1, 0, 0)).SaveX(f.ctx()).ID
			}
			return accept(f.cancelledUser(from).ID), accept(f.user().ID)
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.PolicyAcceptance.Query().Where(policyacceptance.ID(id)).ExistX(f.ctx())
		}},
	{rule: "feedback", table: feedback.Table, column: feedback.FieldContactPhoneCipher,
		add: func(f *fixture, from time.Time) (int, int) {
			return f.db.Client.Feedback.Create().SetUserID(f.user().ID).SetText("配送太慢").
				SetContactPhoneCipher([]byte("sealed")).SetCreatedAt(from).SaveX(f.ctx()).ID, 0
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.Feedback.Query().Where(feedback.ID(id)).ExistX(f.ctx())
		}},
	{rule: "privacy requests", table: privacyrequest.Table, column: privacyrequest.FieldDetailsCipher,
		add: func(f *fixture, from time.Time) (int, int) {
			req := func(status privacyrequest.Status, answered *time.Time) int {
				return f.db.Client.PrivacyRequest.Create().SetUserID(f.user().ID).SetKind(privacyrequest.KindACCESS).
					SetStatus(status).SetDetailsCipher([]byte("sealed")).SetCreatedAt(from.AddDate(0, 0, -10)).
					SetDueAt(from.AddDate(0, 0, 11)).SetNillableAnsweredAt(answered).SaveX(f.ctx()).ID
			}
			return req(privacyrequest.StatusANSWERED, &from), req(privacyrequest.StatusOPEN, nil) // open: still owed an answer
		},
		exists: func(f *fixture, id int) bool {
			return f.db.Client.PrivacyRequest.Query().Where(privacyrequest.ID(id)).ExistX(f.ctx())
		}},
}

// Logs and proof are deleted once their declared period has passed (the
// reveal audit after 6 months, the sharing ledger after 3 years, consent
// history 3 years after the account's cancellation...) and not a day
// before; rows the rule does not cover stay.
func TestLogsAndProofAreDeletedWhenTheirPeriodEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, c := range logCases {
			f.clock.Set(f.t0)
			keep := f.keep(c.table, c.column)
			due, never := c.add(f, f.t0)
			end := keep.For.After(f.t0)
			if rep := f.runAt(end.Add(-day)); rep.Rows(c.rule, c.table) != 0 || !c.exists(f, due) {
				t.Fatalf("%s: deleted a day before its %s (%+v)", c.rule, keep.For, rep.Counts)
			}
			if rep := f.runAt(end.Add(day)); rep.Rows(c.rule, c.table) != 1 || c.exists(f, due) {
				t.Fatalf("%s: a day after its %s: %+v, still there %v", c.rule, keep.For, rep.Counts, c.exists(f, due))
			}
			if never != 0 && !c.exists(f, never) {
				t.Fatalf("%s: deleted a row the rule does not cover", c.rule)
			}
		}
	})
}

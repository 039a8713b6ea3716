package retention_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// The dry run (tongxue retention --dry-run) counts exactly what a run then
// does, rule by rule and table by table, and changes nothing itself.
func TestPlanCountsWhatRunDoesAndChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.everythingDue(f.t0.AddDate(-4, 0, 0))
		before := dump(t, db)
		plan, err := f.runner.Plan(f.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if dump(t, db) != before {
			t.Fatal("the dry run changed the database")
		}
		rules := map[string]int{}
		for _, c := range plan.Counts {
			rules[c.Rule] += c.Rows
		}
		if len(rules) < 12 {
			t.Fatalf("the plan has %d rules: %+v", len(rules), plan.Counts)
		}
		for r, n := range rules {
			if n == 0 {
				t.Errorf("rule %q has nothing to do: the fixture misses it", r)
			}
		}
		run := f.runAt(f.t0)
		if fmt.Sprint(run.Counts) != fmt.Sprint(plan.Counts) {
			t.Fatalf("planned %+v\nran     %+v", plan.Counts, run.Counts)
		}
		if again, err := f.runner.Plan(f.ctx()); err != nil || again.Total() != 0 {
			t.Fatalf("after the run the plan still has %+v (%v)", again.Counts, err)
		}
	})
}

// everythingDue stores, dated long, one or more rows due under every rule
// (more than a batch for some), and one row of each kind not due.
func (f *fixture) everythingDue(long time.Time) {
	t, c, ctx := f.t, f.db.Client, f.ctx()
	t.Helper()
	for range 3 {
		u := f.user()
		u.Update().SetStatus(user.StatusCANCELLING).SetCancelAfter(f.t0.Add(-time.Minute)).ExecX(ctx)
	}
	f.user().Update().SetStatus(user.StatusCANCELLING).SetCancelAfter(f.t0.Add(day)).ExecX(ctx)
	f.export(dataexport.StatusREADY, long, long.AddDate(0, 0, 7))
	f.export(dataexport.StatusREADY, f.t0, f.t0.AddDate(0, 0, 7))
	f.application(bankaccount.StatusREJECTED)
	f.application(bankaccount.StatusPENDING)

	// Orders, closed long ago (one before closed_at was recorded), and one open.
	buyer := f.user()
	m := c.Merchant.Create().SetName("文具店").SetCampus("清华大学").SetLocation("东门").SaveX(ctx)
	p := c.Product.Create().SetName("笔记本").SetPriceFen(500).SetCategory(product.CategorySTATIONERY).SetMerchantID(m.ID).SaveX(ctx)
	for i, st := range []order.Status{order.StatusCOMPLETED, order.StatusREFUNDED, order.StatusCANCELLED, order.StatusPAID} {
		q := c.Order.Create().SetOrderNo(fmt.Sprint("T", i)).SetUserID(buyer.ID).SetMerchantID(m.ID).
			SetIdempotencyKey(fmt.Sprint("k", i)).SetStatus(st).SetTotalFen(500).SetPaymentProvider("sandbox").
			SetCreatedAt(long).SetPayBefore(long).SetUpdatedAt(long).
			SetRecipientNameCipher([]byte("s")).SetRecipientPhoneCipher([]byte("s")).SetAddressCipher([]byte("s"))
		if st != order.StatusCANCELLED && st != order.StatusPAID {
			q.SetClosedAt(long).SetRetainUntil(long.AddDate(3, 0, 0))
		}
		o := q.SaveX(ctx)
		c.OrderItem.Create().SetOrderID(o.ID).SetProductID(p.ID).SetName("笔记本").SetUnitPriceFen(500).SetQuantity(1).ExecX(ctx)
		c.OrderEvent.Create().SetOrderID(o.ID).SetUserID(buyer.ID).SetMerchantID(m.ID).SetStatus(string(st)).
			SetPreviousStatus("PAID").SetActor(orderevent.ActorSYSTEM).SetCreatedAt(long).ExecX(ctx)
		c.PaymentCallback.Create().SetProvider("sandbox").SetEventID(fmt.Sprint("e", i)).SetNonce(fmt.Sprint("n", i)).
			SetOrderID(o.ID).SetStatus("PAID").SetReceivedAt(long).ExecX(ctx)
	}

	// Errands: one left delivered with its photo, one ended long ago, one open.
	img, err := media.Clean(testdb.Photo(), media.Limits{MaxBytes: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	key, err := f.e.Services.Media.Put(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []errand.Status{errand.StatusDELIVERED, errand.StatusCOMPLETED, errand.StatusOPEN} {
		q := c.Errand.Create().SetRequesterID(buyer.ID).SetStatus(st).SetArea("东区").SetPickupPlace("驿站").
			SetParcelType(errand.ParcelTypeSMALL).SetWeightGrams(500).SetRewardFen(300).SetUpdatedAt(long).
			SetRecipientNameCipher([]byte("s")).SetRecipientPhoneCipher([]byte("s")).SetAddressCipher([]byte("s"))
		if st == errand.StatusDELIVERED {
			q.SetPhotoKey(key)
		}
		q.ExecX(ctx)
	}

	for _, at := range []time.Time{long, long, long, f.t0} {
		c.SensitiveAccess.Create().SetActorID(buyer.ID).SetActorRole(sensitiveaccess.ActorRoleSTAFF).SetSubjectID(buyer.ID).
			SetField("Account.phone").SetReason("核实").SetCreatedAt(at).ExecX(ctx)
		c.SharingRecord.Create().SetUserID(buyer.ID).SetRecipient("商家").SetRecipientContact("in-app").
			SetPurpose(pii.ShareMerchant).SetMethod("platform").SetDataCategories("订单信息").SetCreatedAt(at).ExecX(ctx)
		c.Feedback.Create().SetUserID(buyer.ID).SetText("好").SetCreatedAt(at).ExecX(ctx)
		c.PrivacyRequest.Create().SetUserID(buyer.ID).SetKind(privacyrequest.KindACCESS).SetStatus(privacyrequest.StatusANSWERED).
			SetCreatedAt(at).SetDueAt(at).SetAnsweredAt(at).ExecX(ctx)
	}
	gone := f.cancelledUser(long)
	c.ConsentEvent.Create().SetUserID(gone.ID).SetPurpose(pii.Location).SetDecision("GRANTED").SetPolicyVersion("v").
		SetChannel("POPUP").SetCreatedAt(long).ExecX(ctx)
	c.PolicyAcceptance.Create().SetUserID(gone.ID).SetPolicySeq(1).SetVersion("v").SetChannel("POPUP").SetCreatedAt(long).ExecX(ctx)
}

package account_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// requestCancellation logs phone in, verifies with a fresh code and asks
// to cancel, through the graph.
func requestCancellation(t *testing.T, e *apitest.Env, clock *testdb.Clock, phone string) (token string, id int) {
	t.Helper()
	token = e.Login(t, phone)
	clock.Add(2 * time.Minute) // one code a minute per number
	e.Must(t, token, `mutation { requestRevealCode { sentTo } }`, nil, nil)
	e.Must(t, token, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`, map[string]any{"c": e.SMS.LastCode(phone)}, nil)
	e.Must(t, token, `mutation { requestAccountCancellation { cancelAfter } }`, nil, nil)
	return token, e.UserID(t, phone)
}

// fresh is a viewer who verified a minute ago.
func fresh(id int, now time.Time) *auth.Viewer {
	until := now.Add(time.Minute)
	return &auth.Viewer{UserID: id, RevealUntil: &until}
}

// R3: logging in during the cooling-off period stops the cancellation
// (and the log line says so, without personal data); nothing is deleted
// when the period would have ended.
func TestLoggingInStopsTheCancellation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		const phone = "13922220001"
		_, id := requestCancellation(t, e, clock, phone)
		if u := db.Client.User.GetX(t.Context(), id); u.Status != user.StatusCANCELLING || u.CancelAfter == nil {
			t.Fatalf("after the request: %s %v", u.Status, u.CancelAfter)
		}
		clock.Add(3 * 24 * time.Hour)
		tok := e.Login(t, phone)
		u := db.Client.User.GetX(t.Context(), id)
		if u.Status != user.StatusACTIVE || u.CancelAfter != nil {
			t.Fatalf("after logging in again: %s %v", u.Status, u.CancelAfter)
		}
		if !e.Logs.Contains(`"cancellation_stopped":true`) || e.Logs.Contains(phone) {
			t.Error("the login log line does not say the cancellation stopped, or names the number")
		}
		clock.Add(account.CoolingOffDays * 24 * time.Hour)
		if n, err := e.Services.Cancellations.CancelDue(t.Context(), 10); n != 0 || err != nil {
			t.Fatalf("CancelDue = %d, %v; want nothing to do", n, err)
		}
		if err := e.Services.Cancellations.Cancel(t.Context(), id); err != account.ErrNotDue {
			t.Fatalf("Cancel = %v; want ErrNotDue", err)
		}
		var me struct {
			Me struct{ Profile struct{ Nickname string } }
		}
		e.Must(t, tok, `{ me { profile { nickname } } }`, nil, &me)
		if me.Me.Profile.Nickname != "测试同学" {
			t.Fatalf("the account after the period: %+v", me)
		}
	})
}

// R3: cancelling needs an SMS code of the last few minutes; without one
// nothing changes and the sessions go on. Asking twice keeps the first date.
func TestCancellationNeedsAFreshVerification(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, "13922220002")
		id := e.UserID(t, "13922220002")
		stale := clock.Now().Add(-time.Second)
		for _, v := range []*auth.Viewer{{UserID: id}, {UserID: id, RevealUntil: &stale}} {
			_, err := e.Services.Cancellations.Request(t.Context(), id, v)
			if apperr.CodeOf(err) != apperr.CodeVerificationRequired {
				t.Fatalf("without a fresh code: %v", err)
			}
		}
		if u := db.Client.User.GetX(t.Context(), id); u.Status != user.StatusACTIVE {
			t.Fatalf("status %s", u.Status)
		}
		e.Must(t, tok, `{ me { id } }`, nil, nil)

		first, err := e.Services.Cancellations.Request(t.Context(), id, fresh(id, clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Hour)
		again, err := e.Services.Cancellations.Request(t.Context(), id, fresh(id, clock.Now()))
		if err != nil || again.CancelAfter.Sub(first.CancelAfter).Abs() > time.Millisecond {
			t.Fatalf("asked again: %+v, %v; want the first date %v", again, err, first.CancelAfter)
		}
	})
}

// R3: an order under way blocks the request; something under way when the
// period ends (a courier's delivery, say) makes the cancellation wait a day.
func TestCancellationWaitsForWhatIsUnderWay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		e.Seed(t)
		s := &someone{e: e, token: e.Login(t, cancelPhone)}
		s.id = e.UserID(t, cancelPhone)
		e.Grant(t, s.token, "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT")
		s.shop(t, db) // one order, completed
		o := db.Client.Order.Query().Where(order.UserID(s.id)).OnlyX(t.Context())
		db.Client.Order.UpdateOne(o).SetStatus(order.StatusSHIPPED).ExecX(t.Context())

		cs := e.Services.Cancellations
		_, err := cs.Request(t.Context(), s.id, fresh(s.id, clock.Now()))
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeCancellationBlocked || ae.Extensions["orders"] != 1 {
			t.Fatalf("with an order on its way: %v", err)
		}
		db.Client.Order.UpdateOne(o).SetStatus(order.StatusCOMPLETED).ExecX(t.Context())
		if _, err := cs.Request(t.Context(), s.id, fresh(s.id, clock.Now())); err != nil {
			t.Fatal(err)
		}

		db.Client.Order.UpdateOne(o).SetStatus(order.StatusREFUND_REQUESTED).ExecX(t.Context())
		clock.Add((account.CoolingOffDays*24 + 1) * time.Hour)
		if n, err := cs.CancelDue(t.Context(), 10); n != 0 || err != nil {
			t.Fatalf("CancelDue while a refund is open = %d, %v", n, err)
		}
		u := db.Client.User.GetX(t.Context(), s.id)
		if u.Status != user.StatusCANCELLING || u.CancelAfter == nil || !u.CancelAfter.After(clock.Now().Add(23*time.Hour)) {
			t.Fatalf("a blocked cancellation: %s until %v; want it to wait a day", u.Status, u.CancelAfter)
		}
		db.Client.Order.UpdateOne(o).SetStatus(order.StatusREFUNDED).ExecX(t.Context())
		clock.Add(25 * time.Hour)
		if n, err := cs.CancelDue(t.Context(), 10); n != 1 || err != nil {
			t.Fatalf("CancelDue the next day = %d, %v", n, err)
		}
	})
}

// R3: several instances running CancelDue at once carry out each
// cancellation once.
func TestCancelDueOnSeveralInstancesCancelsEachOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		const people = 4
		for i := range people {
			requestCancellation(t, e, clock, fmt.Sprintf("1392222%04d", 100+i))
		}
		clock.Add((account.CoolingOffDays*24 + 1) * time.Hour)
		// Instances of the service share nothing but the database.
		var total atomic.Int64
		var wg sync.WaitGroup
		for range 3 {
			cs := account.NewCancellations(account.CancellationDeps{DB: db, Keys: e.Keys, Sessions: e.Auth,
				Bank: e.Bank, Media: e.Services.Media, Now: clock.Now, Log: e.Services.Log})
			wg.Go(func() {
				n, err := cs.CancelDue(t.Context(), 10)
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		cancelled := db.Client.User.Query().Where(user.StatusEQ(user.StatusCANCELLED)).CountX(t.Context())
		if total.Load() != people || cancelled != people {
			t.Fatalf("%d cancellations reported, %d accounts cancelled; want %d each", total.Load(), cancelled, people)
		}
	})
}

// flakyCloser does not answer Close while down is set.
type flakyCloser struct {
	bank.Bank
	down atomic.Bool
}

func (f *flakyCloser) Close(ctx context.Context, ref string) (*bank.Account, error) {
	if f.down.Load() {
		return nil, fmt.Errorf("close: %w", bank.ErrUnavailable)
	}
	return f.Bank.Close(ctx, ref)
}

// R3: a bank that does not answer does not hold up the cancellation; only
// the bank's reference is kept, and the next CancelDue tells the bank and
// then deletes it.
func TestBankIsToldLaterWhenItDoesNotAnswer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		flaky := &flakyCloser{}
		e := apitest.New(t, db, apitest.Options{Now: clock.Now, Bank: func(s *bank.Sandbox) bank.Bank { flaky.Bank = s; return flaky }})
		tok := e.Login(t, cancelPhone)
		e.Grant(t, tok, "SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")
		photo := testdb.Photo()
		upload(t, e, tok, `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { status } }`,
			map[string]any{"in": map[string]any{"name": legalName, "idNumber": idNumber, "boundCard": boundCard,
				"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}},
			map[string][]byte{"variables.in.idPhotoFront": photo, "variables.in.idPhotoBack": photo, "variables.in.faceData": []byte(faceData)}, nil)
		id := e.UserID(t, cancelPhone)
		ref := db.Client.BankAccount.Query().Where(bankaccount.UserID(id)).OnlyX(t.Context()).BankRef
		if _, err := e.Services.Cancellations.Request(t.Context(), id, fresh(id, clock.Now())); err != nil {
			t.Fatal(err)
		}
		clock.Add((account.CoolingOffDays*24 + 1) * time.Hour)

		flaky.down.Store(true)
		if n, err := e.Services.Cancellations.CancelDue(t.Context(), 10); n != 1 || err != nil {
			t.Fatalf("CancelDue with the bank down = %d, %v; want the cancellation done", n, err)
		}
		left := db.Client.BankAccount.Query().Where(bankaccount.UserID(id)).OnlyX(t.Context())
		if left.BankRef != ref || len(left.NameCipher)+len(left.BoundCardCipher) != 0 ||
			(left.AccountNumberCipher != nil && len(*left.AccountNumberCipher) != 0) {
			t.Fatalf("kept for the bank: %+v; want its reference only", left)
		}
		if _, err := e.Bank.Balance(t.Context(), ref); err != nil {
			t.Fatalf("the bank was told while down: %v", err)
		}

		flaky.down.Store(false)
		if n, err := e.Services.Cancellations.CancelDue(t.Context(), 10); n != 0 || err != nil {
			t.Fatalf("CancelDue with the bank back = %d, %v", n, err)
		}
		if n := db.Client.BankAccount.Query().Where(bankaccount.UserID(id)).CountX(t.Context()); n != 0 {
			t.Fatalf("%d bank rows left after the bank closed the account", n)
		}
		if _, err := e.Bank.Balance(t.Context(), ref); !partner.HasCode(err, bank.CodeAccountNotOpen) {
			t.Fatalf("the bank account: %v; want it closed", err)
		}
	})
}

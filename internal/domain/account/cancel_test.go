package account_test

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// What may still hold rows of a cancelled user: the anonymous account row
// and the records the law keeps, de-identified (cancel_plan.go says why).
var keptTables = []string{"consent_events", "errands", "order_events", "orders", "policy_acceptances",
	"sensitive_accesses", "sharing_records", "users"}

// R3, A5: a user with every kind of data asks to cancel (with a fresh SMS
// code): every session ends and a live socket closes; after the cooling-off
// period CancelDue carries it out. Then a dump of every table finds none of
// their personal values, plain or sealed, and no sealed value in a row still
// tied to them; the order is kept de-identified with its pseudonym and
// deletion date; the bank is told; the pictures are gone; the number
// registers anew as a new person.
func TestCancellationLeavesNoPersonalData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		s := newSomeone(t, db, e, clock)
		ctx := t.Context()

		var terms struct {
			CancellationTerms struct {
				Deleted        []string
				Kept           []struct{ What, Why, HowLong string }
				CoolingOffDays int
			}
		}
		e.Must(t, "", `{ cancellationTerms { deleted kept { what why howLong } coolingOffDays } }`, nil, &terms)
		ct := terms.CancellationTerms
		if ct.CoolingOffDays != account.CoolingOffDays || len(ct.Deleted) < 10 ||
			!slices.ContainsFunc(ct.Kept, func(k struct{ What, Why, HowLong string }) bool {
				return strings.Contains(k.Why, "电子商务法") && strings.Contains(k.HowLong, "3 年")
			}) {
			t.Fatalf("terms %+v", ct)
		}

		ws := e.Socket(t, s.token)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
		e.Listening(t, 1)
		var req struct {
			RequestAccountCancellation struct {
				CancelAfter time.Time
				Terms       struct{ CoolingOffDays int }
			}
		}
		s.must(t, `mutation { requestAccountCancellation { cancelAfter terms { coolingOffDays } } }`, nil, &req)
		due := clock.Now().AddDate(0, 0, account.CoolingOffDays)
		if rc := req.RequestAccountCancellation; rc.CancelAfter.Sub(due).Abs() > time.Second || rc.Terms.CoolingOffDays != 15 {
			t.Fatalf("requested %+v; want cancelAfter %v", rc, due)
		}
		expectClosed(t, ws)
		if r := e.Post(t, s.token, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("the token after the request: %d %+v", r.Status, r.Errors)
		}
		if n := db.Client.Session.Query().Where(session.UserID(s.id), session.RevokedAtIsNil()).CountX(ctx); n != 0 {
			t.Fatalf("%d sessions still live", n)
		}
		if u := db.Client.User.GetX(ctx, s.id); u.Status != user.StatusCANCELLING {
			t.Fatalf("status %s", u.Status)
		}

		clock.Add(account.CoolingOffDays*24*time.Hour - time.Minute)
		if n, err := e.Services.Cancellations.CancelDue(ctx, 10); n != 0 || err != nil {
			t.Fatalf("a minute before the period ends: %d cancelled, %v", n, err)
		}

		before := dump(t, db)
		old := db.Client.User.GetX(ctx, s.id)
		// privacy_requests are detached, not erased: checked below.
		sealed, opened := sealedOf(t, before, e.Keys.Ring, s.id, "privacy_requests")
		if len(sealed) < 15 {
			t.Fatalf("only %d sealed values of the user: the setup is missing data", len(sealed))
		}
		values := append(append(append(asStrings(s.plain), opened...), sealed...), phoneHashForms(old.PhoneHash)...)
		// The check sees each value while it is there (the pick-up code and
		// the face data were erased when they had served).
		for _, v := range s.plain {
			if v != pickupCode && v != faceData && len(leftovers(t, before, e.Keys.Ring, asStrings([]string{v}))) == 0 {
				t.Errorf("before the cancellation %q is nowhere: the check would not see it", v)
			}
		}
		bankRef := ""
		for _, r := range before {
			if r.Table == "bank_accounts" && owned(r, s.id) {
				bankRef = string(asBytes(r.Get("bank_ref")))
			}
		}

		clock.Add(2 * time.Minute)
		if n, err := e.Services.Cancellations.CancelDue(ctx, 10); n != 1 || err != nil {
			t.Fatalf("after the period: %d cancelled, %v", n, err)
		}
		if n, err := e.Services.Cancellations.CancelDue(ctx, 10); n != 0 || err != nil {
			t.Fatalf("again: %d cancelled, %v", n, err)
		}

		after := dump(t, db)
		for _, l := range leftovers(t, after, e.Keys.Ring, values) {
			t.Error(l)
		}
		owns, relates := tablesOwned(after, s.id)
		for _, tb := range owns {
			if !slices.Contains(keptTables, tb) {
				t.Errorf("%s still holds rows of the user", tb)
			}
		}
		if len(relates) > 1 || (len(relates) == 1 && relates[0] != "sensitive_accesses") {
			t.Errorf("still naming the user as runner, courier or owner: %v", relates)
		}
		sc := sealedColumns(t)
		for _, r := range after {
			for _, c := range sc[r.Table] {
				if owned(r, s.id) && len(asBytes(r.Get(c))) > 0 {
					t.Errorf("%s.%s of a row tied to the user still holds a sealed value", r.Table, c)
				}
			}
		}
		checkTombstone(t, db, e, s.id, clock.Now())
		if n := db.Client.PrivacyRequest.Query().Where(privacyrequest.UserIDIsNil()).CountX(ctx); n != 1 {
			t.Errorf("%d detached privacy requests; want the user's one kept, detached", n)
		}
		for _, k := range s.pictures {
			if _, _, err := e.Services.Media.Get(ctx, k); !errors.Is(err, media.ErrNotFound) {
				t.Errorf("picture %s: %v; want it deleted", k, err)
			}
		}
		if n := db.Client.Post.GetX(ctx, s.friendPost).WowCount; n != s.friendWows-1 {
			t.Errorf("the friend's post counts %d wows; want %d", n, s.friendWows-1)
		}
		if _, err := e.Bank.Balance(ctx, bankRef); !partner.HasCode(err, bank.CodeAccountNotOpen) {
			t.Errorf("the bank account after the cancellation: %v; want it closed", err)
		}
		if !e.Logs.Contains(`"msg":"account cancelled"`) {
			t.Error("no log line of the cancellation")
		}

		// The number registers anew, as someone new.
		tok := e.Login(t, cancelPhone)
		if id := e.UserID(t, cancelPhone); id == s.id {
			t.Fatal("the number found the cancelled account")
		}
		var fresh struct {
			Me struct {
				Profile struct{ Nickname, School, AvatarURL *string }
			}
			MyOrders, MyAddresses, MyFeedback, MyStarCards []struct{ ID string }
			MyStudentVerification, MyBankAccount           *struct{ Status string }
			MyConsents                                     []struct {
				Purpose struct {
					Purpose      string
					NeedsConsent bool
				}
				Granted bool
			}
		}
		e.Must(t, tok, `{ me { profile { nickname school avatarURL } } myOrders { id } myAddresses { id } myFeedback { id }
			myStarCards { id } myStudentVerification { status } myBankAccount { status } myConsents { purpose { purpose needsConsent } granted } }`, nil, &fresh)
		if p := fresh.Me.Profile; *p.Nickname == nickname || (p.School != nil && *p.School != "") || (p.AvatarURL != nil && *p.AvatarURL != "") ||
			len(fresh.MyOrders)+len(fresh.MyAddresses)+len(fresh.MyFeedback)+len(fresh.MyStarCards) != 0 ||
			fresh.MyStudentVerification != nil || fresh.MyBankAccount != nil {
			t.Fatalf("the new account sees old data: %+v", fresh)
		}
		for _, c := range fresh.MyConsents { // none of the old consents carries over
			if c.Granted && c.Purpose.NeedsConsent {
				t.Errorf("the new account consents to %s", c.Purpose.Purpose)
			}
		}
	})
}

// checkTombstone: the account row is anonymous, and the kept order has no
// delivery details, the buyer's pseudonym and the date it goes.
func checkTombstone(t *testing.T, db *store.DB, e *apitest.Env, id int, now time.Time) {
	t.Helper()
	ctx := t.Context()
	u := db.Client.User.GetX(ctx, id)
	if u.Status != user.StatusCANCELLED || u.CancelledAt == nil || u.CancelledAt.Sub(now).Abs() > time.Millisecond || u.CancelAfter != nil ||
		u.Nickname != account.CancelledNickname || u.AvatarURL != "" || u.School != "" || len(u.PhoneCipher) != 0 ||
		len(u.Consented) != 0 || u.Role != user.RoleSTUDENT {
		t.Errorf("account row %+v", u)
	}
	orders := db.Client.Order.Query().AllX(ctx)
	kept := 0
	for _, o := range orders {
		if o.UserID != id {
			continue
		}
		kept++
		if len(o.RecipientNameCipher)+len(o.RecipientPhoneCipher)+len(o.AddressCipher) != 0 {
			t.Errorf("order %s keeps delivery details", o.OrderNo)
		}
		if o.BuyerPseudonym == nil || !bytes.Equal(*o.BuyerPseudonym, account.BuyerPseudonym(e.Keys.Index, id)) {
			t.Errorf("order %s: pseudonym %x", o.OrderNo, o.BuyerPseudonym)
		}
		if o.ClosedAt == nil || o.RetainUntil == nil || !o.RetainUntil.Equal(o.ClosedAt.AddDate(3, 0, 0)) {
			t.Errorf("order %s: closed %v, kept until %v; want 3 years after closing", o.OrderNo, o.ClosedAt, o.RetainUntil)
		}
	}
	if kept != 1 {
		t.Errorf("%d orders of the user kept; want the one", kept)
	}
}

func expectClosed(t *testing.T, ws *apitest.WS) {
	t.Helper()
	for {
		m, err := ws.Read(5 * time.Second)
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return
		case err != nil:
			t.Fatalf("socket not closed: %v", err)
		case m.Type == "next":
			t.Fatalf("after the sessions ended: %s", m.Payload)
		}
	}
}

package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	oldNumber   = "13900001111"
	newNumber   = "13900002222"
	takenNumber = "13900003333"
)

const (
	requestCodes = `mutation($p: String!) { requestPhoneChangeCodes(newPhone: $p) { sentToOld { sentTo } sentToNew { sentTo } } }`
	changePhone  = `mutation($in: ChangePhoneInput!) { changePhone(input: $in) { id phone } }`
	me           = `{ me { id } }`
)

func changeInput(p, oldCode, newCode string) map[string]any {
	return map[string]any{"in": map[string]any{"newPhone": p, "oldCode": oldCode, "newCode": newCode}}
}

// wrong returns a 6-digit code that is not c.
func wrong(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// phoneState is what a refused change must leave as it was.
type phoneState struct {
	hash    string
	changes int
}

func stateOf(t *testing.T, e *apitest.Env, userID int) phoneState {
	t.Helper()
	u := e.DB.Client.User.GetX(t.Context(), userID)
	n := e.DB.Client.AccountChange.Query().Where(accountchange.UserID(userID)).CountX(t.Context())
	return phoneState{hash: string(u.PhoneHash), changes: n}
}

// R1: the phone number changes only with a code from the current number
// and one from the new; the account (same id) then logs in with the new
// number only, the change is recorded without either number, the other
// sessions end (sockets closed) and the one that made the change goes on.
func TestPhoneChangeMovesTheAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now().Truncate(time.Second)) // as stored: PostgreSQL keeps microseconds
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		here := e.Login(t, oldNumber)
		clock.Add(2 * time.Minute)
		elsewhere := e.Login(t, oldNumber) // a second device
		id := e.UserID(t, oldNumber)
		ve, err := e.Auth.Authenticate(t.Context(), elsewhere)
		if err != nil {
			t.Fatal(err)
		}
		held := e.Services.Sessions.Hold(context.Background(), ve) // a socket of the other device

		clock.Add(2 * time.Minute)
		var sent struct {
			RequestPhoneChangeCodes struct{ SentToOld, SentToNew struct{ SentTo string } }
		}
		e.Must(t, here, requestCodes, map[string]any{"p": "+86 139-0000-2222"}, &sent)
		if s := sent.RequestPhoneChangeCodes; s.SentToOld.SentTo != "139****1111" || s.SentToNew.SentTo != "139****2222" {
			t.Fatalf("codes sent to %+v", s)
		}
		oldCode, newCode := e.SMS.LastCode(oldNumber), e.SMS.LastCode(newNumber)
		if oldCode == "" || newCode == "" || oldCode == newCode {
			t.Fatalf("codes %q and %q", oldCode, newCode)
		}
		// A phone-change code is no log-in code.
		r := e.Post(t, "", `mutation($in: LoginInput!) { login(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"phone": newNumber, "code": newCode}})
		if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["reason"] != "CODE_EXPIRED" {
			t.Fatalf("logging in with the new number's change code: %+v", r.Errors)
		}

		before := stateOf(t, e, id)
		for name, c := range map[string]struct{ oldCode, newCode, field string }{
			"wrong old code": {wrong(oldCode), newCode, "oldCode"},
			"wrong new code": {oldCode, wrong(newCode), "newCode"},
			"swapped codes":  {newCode, oldCode, "oldCode"},
		} {
			r := e.Post(t, here, changePhone, changeInput(newNumber, c.oldCode, c.newCode))
			if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field ||
				r.Errors[0].Extensions["reason"] != "CODE_INVALID" {
				t.Fatalf("%s: %+v", name, r.Errors)
			}
			if after := stateOf(t, e, id); after != before {
				t.Fatalf("%s changed the account: %+v, was %+v", name, after, before)
			}
		}
		if _, err := e.Auth.Authenticate(t.Context(), elsewhere); err != nil {
			t.Fatalf("a refused change ended a session: %v", err)
		}

		var changed struct{ ChangePhone struct{ ID, Phone string } }
		e.Must(t, here, changePhone, changeInput(newNumber, oldCode, newCode), &changed)
		if changed.ChangePhone.Phone != "139****2222" {
			t.Fatalf("account after the change: %+v", changed.ChangePhone)
		}
		u := db.Client.User.GetX(t.Context(), id)
		if p, err := account.OpenPhone(e.Keys.Ring, u); err != nil || p != newNumber {
			t.Fatalf("sealed number %q, %v", p, err)
		}
		rows := db.Client.AccountChange.Query().Where(accountchange.UserID(id)).AllX(t.Context())
		if len(rows) != 1 || rows[0].Field != accountchange.FieldPHONE || !rows[0].CreatedAt.Equal(clock.Now()) {
			t.Fatalf("change records %+v", rows)
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, oldNumber, newNumber)
		for _, n := range []string{oldNumber, newNumber, oldCode, newCode} {
			if e.Logs.Contains(n) {
				t.Fatalf("the log holds %s", n)
			}
		}
		// The codes are used up.
		if r := e.Post(t, here, changePhone, changeInput(oldNumber, oldCode, newCode)); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("codes used twice: %+v", r.Errors)
		}

		// This session goes on; the other device's ended, its socket closed.
		var who struct{ Me struct{ ID string } }
		e.Must(t, here, me, nil, &who)
		if who.Me.ID == "" {
			t.Fatal("the session that changed the number ended")
		}
		if _, err := e.Auth.Authenticate(t.Context(), elsewhere); err != auth.ErrInvalidSession {
			t.Fatalf("the other device's session: %v", err)
		}
		select {
		case <-held.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("the other device's socket stays open")
		}

		// The old number no longer reaches the account: it would register anew.
		clock.Add(2 * time.Minute)
		e.Must(t, "", `mutation($p: String!) { requestLoginCode(phone: $p) { sentTo } }`, map[string]any{"p": oldNumber}, nil)
		r = e.Post(t, "", `mutation($in: LoginInput!) { login(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"phone": oldNumber, "code": e.SMS.LastCode(oldNumber)}})
		if r.Code() != "REGISTRATION_REQUIRED" {
			t.Fatalf("logging in with the old number: %+v", r.Errors)
		}
		// The new number logs in to the same account.
		var again struct{ Me struct{ ID string } }
		e.Must(t, e.Login(t, newNumber), me, nil, &again)
		if again.Me.ID != who.Me.ID || e.UserID(t, newNumber) != id {
			t.Fatalf("the new number logs in to %s, want %s", again.Me.ID, who.Me.ID)
		}
	})
}

// R1: asking for codes says nothing about the new number (a taken one is
// answered like a free one, so numbers cannot be probed); once both codes
// prove the user holds it, the change is refused with CONFLICT and nothing
// changes on either account. The current number is refused at once.
func TestPhoneChangeToATakenNumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now().Truncate(time.Second)) // as stored: PostgreSQL keeps microseconds
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, oldNumber)
		e.Login(t, takenNumber) // another person's account
		id, other := e.UserID(t, oldNumber), e.UserID(t, takenNumber)
		before, otherBefore := stateOf(t, e, id), stateOf(t, e, other)
		sms := e.SMS.Count(oldNumber)

		for _, own := range []string{oldNumber, "+86 139 0000 1111"} {
			if r := e.Post(t, tok, requestCodes, map[string]any{"p": own}); r.Code() != "BAD_USER_INPUT" ||
				r.Errors[0].Extensions["field"] != "newPhone" {
				t.Fatalf("own number %q: %+v", own, r.Errors)
			}
		}
		if r := e.Post(t, tok, requestCodes, map[string]any{"p": "12345"}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("not a number: %+v", r.Errors)
		}
		if n := e.SMS.Count(oldNumber); n != sms {
			t.Fatalf("refused requests sent %d messages", n-sms)
		}

		clock.Add(2 * time.Minute)
		e.Must(t, tok, requestCodes, map[string]any{"p": takenNumber}, nil)
		oldCode, newCode := e.SMS.LastCode(oldNumber), e.SMS.LastCode(takenNumber)
		if r := e.Post(t, tok, changePhone, changeInput(takenNumber, oldCode, wrong(newCode))); r.Code() != "BAD_USER_INPUT" ||
			r.Errors[0].Extensions["field"] != "newCode" {
			t.Fatalf("taken number, wrong code (must not say it is taken): %+v", r.Errors)
		}
		r := e.Post(t, tok, changePhone, changeInput(takenNumber, oldCode, newCode))
		if r.Code() != "CONFLICT" || r.Errors[0].Extensions["field"] != "newPhone" || strings.Contains(r.Errors[0].Message, takenNumber) {
			t.Fatalf("taken number, right codes: %+v", r.Errors)
		}
		if a, b := stateOf(t, e, id), stateOf(t, e, other); a != before || b != otherBefore {
			t.Fatalf("a refused change changed the accounts: %+v %+v", a, b)
		}
		if e.UserID(t, oldNumber) != id || e.UserID(t, takenNumber) != other {
			t.Fatal("the numbers moved")
		}
	})
}

package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/sms"
)

type fixture struct {
	svc   *auth.Service
	sms   *sms.Capture
	clock *testdb.Clock
	db    *store.DB
	keys  vault.Keys
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	keys, _, err := vault.Load("t1:"+vault.NewKey(), vault.NewKey(), "", true)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sms: &sms.Capture{}, clock: testdb.NewClock(time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)), db: db, keys: keys}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	priv := privacy.New(db.Client, f.clock.Now, log)
	if err := priv.Bootstrap(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.svc = auth.New(auth.Deps{Client: db.Client, Keys: keys, SMS: f.sms, Policy: priv, Now: f.clock.Now, Log: log})
	return f
}

func ctxIP(ip string) context.Context {
	return reqinfo.NewContext(context.Background(), reqinfo.Info{ClientIP: ip})
}

func date(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	return e
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	e := wantCode(t, err, apperr.CodeBadUserInput)
	if e.Extensions["reason"] != reason {
		t.Fatalf("reason = %v, want %s (%v)", e.Extensions["reason"], reason, err)
	}
}

const number = "13812345678"

var pv = "2024-02-22" // the policy version a new database starts with

func TestRegisterAndLogin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.1")

		tk, err := f.svc.RequestLoginCode(ctx, "+86 138-1234-5678")
		if err != nil {
			t.Fatal(err)
		}
		if tk.SentTo != "138****5678" || tk.ExpiresIn != 300 || tk.ResendAfter != 60 {
			t.Fatalf("ticket = %+v", tk)
		}
		code := f.sms.LastCode(number)
		if len(code) != 6 {
			t.Fatalf("code %q", code)
		}

		// A new number needs a birth date; the code survives the refusal.
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code})
		wantCode(t, err, apperr.CodeRegistrationRequired)

		// Under 16 is refused: born 2010-09-02 is 15 on 2026-09-01 (UTC+8).
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2010-09-02")}})
		e := wantCode(t, err, apperr.CodeAgeRestricted)
		if e.Extensions["minimumAge"] != account.MinimumAge {
			t.Fatalf("extensions %v", e.Extensions)
		}
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2030-01-01")}})
		wantCode(t, err, apperr.CodeBadUserInput)

		// Exactly 16 today is allowed.
		nick := "小明"
		res, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2010-09-01"), Nickname: &nick}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Registered || res.User.Nickname != "小明" || !strings.HasPrefix(res.Token, "txs_") {
			t.Fatalf("result = %+v", res)
		}
		if got, _ := account.OpenPhone(f.keys.Ring, res.User); got != number {
			t.Fatalf("phone round trip = %q", got)
		}

		// The code is used up.
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code})
		wantReason(t, err, "CODE_EXPIRED")

		// Logging in again finds the same account.
		f.clock.Add(61 * time.Second)
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		res2, err := f.svc.Login(ctx, auth.LoginInput{Phone: "8613812345678", Code: f.sms.LastCode(number)})
		if err != nil {
			t.Fatal(err)
		}
		if res2.Registered || res2.User.ID != res.User.ID {
			t.Fatalf("second login = %+v", res2)
		}

		// Neither the number, the code nor the token is stored in the clear.
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, number, code, strings.TrimPrefix(res.Token, "txs_"))
	})
}

func TestSessionsAuthenticateExpireAndLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.2")
		res := f.register(t, ctx, number)

		v, err := f.svc.Authenticate(ctx, res.Token)
		if err != nil || v.UserID != res.User.ID || v.Role != "STUDENT" {
			t.Fatalf("authenticate = %+v, %v", v, err)
		}
		if _, err := f.svc.Authenticate(ctx, res.Token+"x"); !errors.Is(err, auth.ErrInvalidSession) {
			t.Fatalf("tampered token: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, "garbage"); !errors.Is(err, auth.ErrInvalidSession) {
			t.Fatalf("garbage token: %v", err)
		}

		// A second session is independent of the first.
		f.clock.Add(61 * time.Second)
		other := f.login(t, ctx, number)
		if err := f.svc.Logout(ctx, v); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, res.Token); !errors.Is(err, auth.ErrInvalidSession) {
			t.Fatalf("after logout: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, other.Token); err != nil {
			t.Fatalf("other session after logout: %v", err)
		}

		// Sessions end after SessionTTL.
		f.clock.Add(auth.SessionTTL)
		if _, err := f.svc.Authenticate(ctx, other.Token); !errors.Is(err, auth.ErrInvalidSession) {
			t.Fatalf("expired session: %v", err)
		}
		if err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("sessions after sweep = %d, %v", n, err)
		}
	})
}

func TestCodeExpiresAfterFiveMinutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.3")
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		code := f.sms.LastCode(number)
		f.clock.Add(auth.CodeTTL + time.Second)
		_, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2000-01-01")}})
		wantReason(t, err, "CODE_EXPIRED")
	})
}

func TestFiveWrongTriesBurnTheCode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.4")
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		code := f.sms.LastCode(number)
		wrong := fmt.Sprintf("%06d", (mustAtoi(code)+1)%1_000_000)
		for i := 1; i < auth.MaxCodeTries; i++ {
			_, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: wrong})
			e := wantCode(t, err, apperr.CodeBadUserInput)
			if e.Extensions["attemptsLeft"] != auth.MaxCodeTries-i {
				t.Fatalf("try %d: %v", i, e.Extensions)
			}
		}
		_, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: wrong})
		wantReason(t, err, "TOO_MANY_ATTEMPTS")
		// Now even the right code is refused.
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2000-01-01")}})
		wantReason(t, err, "TOO_MANY_ATTEMPTS")
	})
}

func TestConcurrentWrongGuessesEachCount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.5")
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		code := f.sms.LastCode(number)
		wrong := fmt.Sprintf("%06d", (mustAtoi(code)+7)%1_000_000)
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: wrong})
			}()
		}
		wg.Wait()
		_, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2000-01-01")}})
		wantReason(t, err, "TOO_MANY_ATTEMPTS")
	})
}

func TestResendCooldownAndNewestCodeOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.6")
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		first := f.sms.LastCode(number)
		f.clock.Add(20 * time.Second)
		_, err := f.svc.RequestLoginCode(ctx, number)
		e := wantCode(t, err, apperr.CodeRateLimited)
		if ra := e.Extensions["retryAfter"].(int); ra < 39 || ra > 41 {
			t.Fatalf("retryAfter = %d, want about 40", ra)
		}
		if f.sms.Count(number) != 1 {
			t.Fatal("a refused request still sent an SMS")
		}
		f.clock.Add(41 * time.Second)
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		second := f.sms.LastCode(number)
		if first != second {
			_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: first, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2000-01-01")}})
			wantCode(t, err, apperr.CodeBadUserInput)
		}
		if _, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: second, Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2000-01-01")}}); err != nil {
			t.Fatalf("newest code: %v", err)
		}
	})
}

func TestPerNumberAndPerIPLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// Per number: 5 an hour, whatever the IP.
		for i := range 5 {
			if _, err := f.svc.RequestLoginCode(ctxIP(fmt.Sprintf("10.1.0.%d", i)), number); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			f.clock.Add(61 * time.Second)
		}
		_, err := f.svc.RequestLoginCode(ctxIP("10.1.0.99"), number)
		wantCode(t, err, apperr.CodeRateLimited)

		// Per client IP: 30 an hour, whatever the number.
		ctx := ctxIP("10.2.0.1")
		for i := range 30 {
			if _, err := f.svc.RequestLoginCode(ctx, fmt.Sprintf("1390000%04d", i)); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		_, err = f.svc.RequestLoginCode(ctx, "13911112222")
		wantCode(t, err, apperr.CodeRateLimited)
		if _, err := f.svc.RequestLoginCode(ctxIP("10.2.0.2"), "13911112222"); err != nil {
			t.Fatalf("another IP: %v", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.7")
		_, err := f.svc.RequestLoginCode(ctx, "12345")
		e := wantCode(t, err, apperr.CodeBadUserInput)
		if e.Extensions["field"] != "phone" || strings.Contains(e.Message, "12345") {
			t.Fatalf("error %v %v", e.Message, e.Extensions)
		}
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: "12a456"})
		wantCode(t, err, apperr.CodeBadUserInput)
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: "123456"})
		wantReason(t, err, "CODE_EXPIRED")
	})
}

func TestAge(t *testing.T) {
	b := *date("2008-02-29")
	cases := map[string]int{
		"2024-02-28T16:00:00Z": 16, // 2024-02-29 00:00 in China
		"2024-02-28T15:59:59Z": 15,
		"2025-02-28T23:00:00Z": 17, // 2025-03-01 in China
	}
	for now, want := range cases {
		n, _ := time.Parse(time.RFC3339, now)
		if got := account.Age(b, n); got != want {
			t.Errorf("Age at %s = %d, want %d", now, got, want)
		}
	}
}

func (f *fixture) register(t *testing.T, ctx context.Context, p string) *auth.LoginResult {
	t.Helper()
	if _, err := f.svc.RequestLoginCode(ctx, p); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Login(ctx, auth.LoginInput{Phone: p, Code: f.sms.LastCode(p), Applicant: account.Applicant{AcceptPolicyVersion: &pv, BirthDate: date("2003-05-04")}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) login(t *testing.T, ctx context.Context, p string) *auth.LoginResult {
	t.Helper()
	if _, err := f.svc.RequestLoginCode(ctx, p); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Login(ctx, auth.LoginInput{Phone: p, Code: f.sms.LastCode(p)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustAtoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestRegistrationRecordsPolicyAcceptance(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.8")
		if _, err := f.svc.RequestLoginCode(ctx, number); err != nil {
			t.Fatal(err)
		}
		code := f.sms.LastCode(number)
		_, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{BirthDate: date("2000-01-01")}})
		e := wantCode(t, err, apperr.CodeRegistrationRequired)
		if e.Extensions["field"] != "acceptPolicyVersion" || e.Extensions["policyVersion"] != pv {
			t.Fatalf("extensions %v", e.Extensions)
		}
		stale := "2023-01-01"
		_, err = f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{BirthDate: date("2000-01-01"), AcceptPolicyVersion: &stale}})
		wantCode(t, err, apperr.CodePolicyUpdateRequired)
		res, err := f.svc.Login(ctx, auth.LoginInput{Phone: number, Code: code, Applicant: account.Applicant{BirthDate: date("2000-01-01"), AcceptPolicyVersion: &pv}})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := db.Client.PolicyAcceptance.Query().All(t.Context())
		if err != nil || len(acc) != 1 || acc[0].UserID != res.User.ID || acc[0].Version != pv || acc[0].Channel != "REGISTRATION" {
			t.Fatalf("acceptances %v %v", acc, err)
		}
		if res.User.AcceptedPolicySeq != 1 {
			t.Fatalf("accepted seq %d", res.User.AcceptedPolicySeq)
		}
	})
}

// Y2: a reveal code opens a five-minute window on this session only.
func TestRevealWindow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.9")
		res := f.register(t, ctx, number)
		v, err := f.svc.Authenticate(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		if v.CanReveal(f.clock.Now()) {
			t.Fatal("a fresh session can reveal")
		}
		f.clock.Add(61 * time.Second)
		if _, err := f.svc.RequestRevealCode(ctx, v); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.VerifyReveal(ctx, v, "000000")
		if f.sms.LastCode(number) != "000000" {
			wantReason(t, err, "CODE_INVALID")
		}
		until, err := f.svc.VerifyReveal(ctx, v, f.sms.LastCode(number))
		if err != nil || !until.Equal(f.clock.Now().Add(auth.RevealTTL)) {
			t.Fatalf("verify: %v %v", until, err)
		}
		v2, _ := f.svc.Authenticate(ctx, res.Token)
		if !v2.CanReveal(f.clock.Now()) {
			t.Fatal("the window is not stored on the session")
		}
		f.clock.Add(auth.RevealTTL)
		v3, _ := f.svc.Authenticate(ctx, res.Token)
		if v3.CanReveal(f.clock.Now()) {
			t.Fatal("the window outlives RevealTTL")
		}
		// The code is used up.
		_, err = f.svc.VerifyReveal(ctx, v, f.sms.LastCode(number))
		wantReason(t, err, "CODE_EXPIRED")
	})
}

// R3: a cancellation request ends every session; one that a racing log-in
// opened after that (the log-in read the account as active) does not
// authenticate. Logging in again stops the cancellation.
func TestCancellingAccountsSessionsDoNotAuthenticate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := ctxIP("10.0.0.3")
		res := f.register(t, ctx, number)
		db.Client.User.UpdateOneID(res.User.ID).SetStatus(user.StatusCANCELLING).
			SetCancelAfter(f.clock.Now().AddDate(0, 0, 15)).ExecX(ctx)
		if _, err := f.svc.Authenticate(ctx, res.Token); !errors.Is(err, auth.ErrInvalidSession) {
			t.Fatalf("a cancelling account's session: %v", err)
		}
		f.clock.Add(61 * time.Second)
		again := f.login(t, ctx, number)
		if v, err := f.svc.Authenticate(ctx, again.Token); err != nil || v.UserID != res.User.ID {
			t.Fatalf("after logging in again: %+v, %v", v, err)
		}
		if u := db.Client.User.GetX(ctx, res.User.ID); u.Status != user.StatusACTIVE || u.CancelAfter != nil {
			t.Fatalf("the account after logging in again: %s %v", u.Status, u.CancelAfter)
		}
	})
}

package bank_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
)

const (
	appID  = "tongxue-star-card"
	secret = "bank-hmac-secret-for-tests"
	// The fake bank's account number, and a bank ref that looks like one,
	// to show neither leaks into errors.
	fakeAccountNumber = "6217991234567890123"
)

// call is one request the fake bank received.
type call struct {
	method, target string
	idemKey        string
	applicationID  string // from the body, for POSTs
	nonce          string
}

// hook may answer a request itself (returning true) instead of the fake
// bank's normal behaviour; n is the 0-based number of the request.
type hook func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool

// fakeBank plays the partner bank. It checks every request as the real one
// would, with code of its own: the signature (over method, request target,
// timestamp, nonce and the body's SHA-256), a current timestamp, a fresh
// nonce, exactly the eight body fields with the expected values, and an
// Idempotency-Key equal to application_id. It keeps accounts by
// idempotency key and signs every answer.
type fakeBank struct {
	*partnertest.Server
	t    *testing.T
	hook hook
	now  func() time.Time // the bank's clock

	mu       sync.Mutex
	accounts map[string]map[string]any // by Idempotency-Key
	txs      []map[string]any          // newest first
}

func newFakeBank(t *testing.T, h hook) *fakeBank {
	t.Helper()
	return newFakeBankAt(t, time.Now, h)
}

func newFakeBankAt(t *testing.T, now func() time.Time, h hook) *fakeBank {
	t.Helper()
	f := &fakeBank{t: t, hook: h, now: now, accounts: map[string]map[string]any{}}
	f.Server = partnertest.New(t, partnertest.Options{
		Check: f.check, Nonce: "X-Bank-Nonce",
		Refuse: func(w http.ResponseWriter, _ string) {
			f.reply(w, 401, `{"error":{"code":"SIGNATURE_INVALID","message":"bad signature"}}`)
		},
	}, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if f.hook == nil || !f.hook(f, n, w, r, body) {
			f.route(w, r, body)
		}
	})
	return f
}

var (
	sha256Hex = partnertest.SHA256Hex
	hmacHex   = partnertest.HMACHex
)

// check returns what the bank would refuse in r, or "".
func (f *fakeBank) check(r *http.Request, body []byte) string {
	if got := r.Header.Get("X-Bank-App-Id"); got != appID {
		return "X-Bank-App-Id " + got
	}
	ts, nonce := r.Header.Get("X-Bank-Timestamp"), r.Header.Get("X-Bank-Nonce")
	if problem := partnertest.CheckTimestamp("X-Bank-Timestamp", ts, f.now(), time.Minute); problem != "" {
		return problem
	}
	if len(nonce) < 16 {
		return "X-Bank-Nonce " + nonce + " is too short"
	}
	// r.RequestURI is the request target exactly as sent: path and query.
	want := hmacHex(secret, r.Method+"\n"+r.RequestURI+"\n"+ts+"\n"+nonce+"\n"+sha256Hex(body))
	if got := r.Header.Get("X-Bank-Signature"); got != want {
		return fmt.Sprintf("X-Bank-Signature %q; want %q", got, want)
	}
	if r.Method == http.MethodPost {
		f.checkOpenBody(r, body)
	} else if len(body) != 0 {
		return r.Method + " with a body"
	}
	return ""
}

// checkOpenBody checks the body of an application and returns its
// application_id.
func (f *fakeBank) checkOpenBody(r *http.Request, body []byte) string {
	t := f.t
	if r.URL.Path != "/v2/class2-accounts" {
		t.Errorf("POST %s", r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Errorf("body is not a JSON object: %v", err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"application_id", "bound_card", "face_data", "id_number", "id_photo_back", "id_photo_front", "name", "phone"}; !slices.Equal(keys, want) {
		t.Errorf("body fields %v; want exactly %v", keys, want)
	}
	got := map[string]string{}
	for k, raw := range fields {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("field %s is not a string: %v", k, err)
		}
		got[k] = s
	}
	a := bank.Normalize(validApplication())
	for k, want := range map[string]string{"name": a.Name, "id_number": a.IDNumber, "phone": a.Phone, "bound_card": a.BoundCard} {
		if got[k] != want {
			t.Errorf("field %s = %q; want %q", k, got[k], want)
		}
	}
	for k, want := range map[string][]byte{"id_photo_front": a.IDPhotoFront, "id_photo_back": a.IDPhotoBack, "face_data": a.FaceData} {
		if b, err := base64.StdEncoding.DecodeString(got[k]); err != nil || !bytes.Equal(b, want) {
			t.Errorf("field %s is not the standard base64 of the bytes sent (%v)", k, err)
		}
	}
	if key := r.Header.Get("Idempotency-Key"); key != got["application_id"] {
		t.Errorf("Idempotency-Key %q; application_id %q", key, got["application_id"])
	}
	return got["application_id"]
}

// route is the bank's normal behaviour.
func (f *fakeBank) route(w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/class2-accounts":
		key := r.Header.Get("Idempotency-Key")
		f.mu.Lock()
		acct, ok := f.accounts[key]
		if !ok { // the bank's idempotency: one account per key
			acct = map[string]any{"bank_ref": fmt.Sprintf("BR%04d", len(f.accounts)+1),
				"account_number": fakeAccountNumber, "status": "OPEN", "reason": ""}
			f.accounts[key] = acct
		}
		f.mu.Unlock()
		f.replyJSON(w, 200, acct)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/balance"):
		f.replyJSON(w, 200, map[string]any{"available_fen": 12345, "ledger_fen": 13345, "as_of": "2026-03-15T10:00:00+08:00"})
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/transactions"):
		q := r.URL.Query()
		start := 0
		if a := q.Get("after"); a != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(a, "c"))
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		f.mu.Lock()
		end := min(start+limit, len(f.txs))
		page := slices.Clone(f.txs[start:end])
		f.mu.Unlock()
		next := ""
		if end < len(f.txs) {
			next = "c" + strconv.Itoa(end)
		}
		f.replyJSON(w, 200, map[string]any{"transactions": page, "next": next})
	default:
		f.reply(w, 404, `{"error":{"code":"NOT_FOUND","message":"no such endpoint"}}`)
	}
}

// reply sends a signed answer.
func (f *fakeBank) reply(w http.ResponseWriter, status int, body string) {
	f.replyWith(w, status, body, secret, f.now())
}

func (f *fakeBank) replyWith(w http.ResponseWriter, status int, body, key string, at time.Time) {
	signedReply(w, status, body, key, at)
}

// signedReply answers as the bank does, signed with key at at.
func signedReply(w http.ResponseWriter, status int, body, key string, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := rand.Text()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Bank-Timestamp", ts)
	w.Header().Set("X-Bank-Nonce", nonce)
	w.Header().Set("X-Bank-Signature", hmacHex(key, strconv.Itoa(status)+"\n"+ts+"\n"+nonce+"\n"+sha256Hex([]byte(body))))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeBank) replyJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.reply(w, status, string(b))
}

func (f *fakeBank) Calls() []call {
	var cs []call
	for _, r := range f.Requests() {
		c := call{method: r.Method, target: r.Target, idemKey: r.Header.Get("Idempotency-Key"), nonce: r.Header.Get("X-Bank-Nonce")}
		if r.Method == http.MethodPost {
			var b struct {
				ApplicationID string `json:"application_id"`
			}
			_ = json.Unmarshal(r.Body, &b)
			c.applicationID = b.ApplicationID
		}
		cs = append(cs, c)
	}
	return cs
}

func (f *fakeBank) Accounts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accounts)
}

func (f *fakeBank) client(t *testing.T, mod func(*bank.HTTPConfig)) *bank.HTTPClient {
	t.Helper()
	return newClient(t, f.URL, mod)
}

func newClient(t *testing.T, base string, mod func(*bank.HTTPConfig)) *bank.HTTPClient {
	t.Helper()
	cfg := bank.HTTPConfig{
		BaseURL: base, AppID: appID, Secret: secret, Name: "partner-bank",
		Timeout: 2 * time.Second, Retries: 2, Backoff: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := bank.NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answer makes a hook that answers every request with a signed body.
func answer(status int, body string) hook {
	return func(f *fakeBank, _ int, w http.ResponseWriter, _ *http.Request, _ []byte) bool {
		f.reply(w, status, body)
		return true
	}
}

// TestHTTPClient runs what every partner client owes on Open.
func TestHTTPClient(t *testing.T) {
	partnertest.ClientTests(t, partnertest.Subject{
		Fake: func(t *testing.T, respond partnertest.Respond) *partnertest.Server {
			return newFakeBank(t, func(_ *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
				respond(n, w, r, body)
				return true
			}).Server
		},
		Reply: func(status int, body string) partnertest.Respond {
			return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
				signedReply(w, status, body, secret, time.Now())
			}
		},
		ErrorBody: func(code, message string) string {
			return `{"error":{"code":"` + code + `","message":"` + message + `"}}`
		},
		Call: func(ctx context.Context, t *testing.T, base string, edit func(*partner.Config)) error {
			_, err := newClient(t, base, edit).Open(ctx, validApplication())
			return err
		},
	})
}

func TestHTTPOpen(t *testing.T) {
	f := newFakeBank(t, nil)
	acct, err := f.client(t, nil).Open(context.Background(), validApplication())
	if err != nil {
		t.Fatal(err)
	}
	want := bank.Account{BankRef: "BR0001", AccountNumber: fakeAccountNumber, Status: bank.StatusOpen}
	if *acct != want {
		t.Fatalf("Open = %#v; want %#v", *acct, want)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].method != "POST" || calls[0].target != "/v2/class2-accounts" ||
		calls[0].idemKey != testAppID || calls[0].applicationID != testAppID {
		t.Fatalf("calls %+v", calls)
	}
}

func TestHTTPOpenSendsNormalisedFields(t *testing.T) {
	f := newFakeBank(t, nil)
	a := validApplication()
	a.Name = " " + a.Name + " "
	a.IDNumber = strings.ToLower(a.IDNumber)
	a.Phone = "138 1234 5678"
	a.BoundCard = "6222 0212 3456 7890 128"
	// The fake compares with the normalised application.
	if _, err := f.client(t, nil).Open(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPOpenAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       bank.Account
	}{
		{"rejected", `{"bank_ref":"APPL-77","account_number":"","status":"REJECTED","reason":"RISK_REVIEW"}`,
			bank.Account{BankRef: "APPL-77", Status: bank.StatusRejected, Reason: bank.ReasonRiskReview}},
		{"rejected without ref or reason", `{"status":"REJECTED"}`,
			bank.Account{Status: bank.StatusRejected, Reason: bank.ReasonUnknown}},
		{"rejected with a free-text reason", `{"bank_ref":"A1","status":"REJECTED","reason":"姓名不符 name mismatch"}`,
			bank.Account{BankRef: "A1", Status: bank.StatusRejected, Reason: bank.ReasonUnknown}},
		{"rejected, account number dropped", `{"bank_ref":"A1","account_number":"6217000000000000004","status":"REJECTED","reason":"DUPLICATE"}`,
			bank.Account{BankRef: "A1", Status: bank.StatusRejected, Reason: "DUPLICATE"}},
		{"pending", `{"bank_ref":"A2","status":"PENDING","reason":"MANUAL_REVIEW","extra":true}`,
			bank.Account{BankRef: "A2", Status: bank.StatusPending, Reason: "MANUAL_REVIEW"}},
		{"open drops a reason", `{"bank_ref":"A3","account_number":"6217000000000000004","status":"OPEN","reason":"X"}`,
			bank.Account{BankRef: "A3", AccountNumber: "6217000000000000004", Status: bank.StatusOpen}},
		{"frozen", `{"bank_ref":"A4","account_number":"6217000000000000004","status":"FROZEN","reason":"JUDICIAL_FREEZE"}`,
			bank.Account{BankRef: "A4", AccountNumber: "6217000000000000004", Status: bank.StatusFrozen, Reason: "JUDICIAL_FREEZE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeBank(t, answer(200, tc.body))
			acct, err := f.client(t, nil).Open(context.Background(), validApplication())
			if err != nil {
				t.Fatal(err)
			}
			if *acct != tc.want {
				t.Fatalf("Open = %#v; want %#v", *acct, tc.want)
			}
		})
	}
}

func TestHTTP400IsABankErrorAndNotRetried(t *testing.T) {
	f := newFakeBank(t, answer(400, `{"error":{"code":"INVALID_PARAM","message":"id_photo_back is blurred"}}`))
	_, err := f.client(t, nil).Open(context.Background(), validApplication())
	var be *partner.Error
	if !errors.As(err, &be) {
		t.Fatalf("Open = %v; want a *BankError", err)
	}
	if be.Status != 400 || be.Code != bank.CodeInvalidParam || be.Message != "id_photo_back is blurred" || be.Retryable {
		t.Fatalf("BankError = %+v", be)
	}
	if errors.Is(err, bank.ErrUnavailable) || errors.Is(err, bank.ErrBadResponse) {
		t.Fatalf("Open = %v: a 400 is neither unavailable nor a bad response", err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d attempts; a 4xx must not be retried", n)
	}
	assertErrNoPersonalData(t, err)
}

func TestHTTP503ThenOKAppliesOnce(t *testing.T) {
	f := newFakeBank(t, func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		if n == 0 {
			f.route(httptest.NewRecorder(), r, body) // applied…
			f.reply(w, 503, `{"error":{"code":"SYSTEM_ERROR","message":"try again"}}`)
			return true // …but the answer is an error
		}
		return false
	})
	acct, err := f.client(t, nil).Open(context.Background(), validApplication())
	if err != nil || acct.BankRef != "BR0001" || acct.Status != bank.StatusOpen {
		t.Fatalf("Open = %+v, %v", acct, err)
	}
	calls := f.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d attempts; want 2", len(calls))
	}
	for _, c := range calls {
		if c.idemKey != testAppID || c.applicationID != testAppID {
			t.Fatalf("attempt %+v: want Idempotency-Key and application_id %s", c, testAppID)
		}
	}
	if calls[0].nonce == calls[1].nonce {
		t.Fatal("the retry reused the nonce")
	}
	if n := f.Accounts(); n != 1 {
		t.Fatalf("the bank opened %d accounts; want 1", n)
	}
}

func TestHTTPOpenAgainReturnsTheSameAccount(t *testing.T) {
	f := newFakeBank(t, nil)
	c := f.client(t, nil)
	first, err := c.Open(context.Background(), validApplication())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			again, err := c.Open(context.Background(), validApplication())
			if err != nil || *again != *first {
				t.Errorf("Open again = %+v, %v; want %+v", again, err, first)
			}
		})
	}
	wg.Wait()
	if n := f.Accounts(); n != 1 {
		t.Fatalf("%d accounts", n)
	}
}

func TestHTTP5xxUntilRetriesRunOut(t *testing.T) {
	f := newFakeBank(t, answer(503, `{"error":{"code":"SYSTEM_ERROR","message":"maintenance"}}`))
	_, err := f.client(t, func(c *bank.HTTPConfig) { c.Retries = 3 }).Open(context.Background(), validApplication())
	var be *partner.Error
	if !errors.Is(err, bank.ErrUnavailable) || !errors.As(err, &be) || be.Status != 503 || be.Code != bank.CodeSystemError {
		t.Fatalf("Open = %v; want ErrUnavailable with the last BankError", err)
	}
	calls := f.Calls()
	if len(calls) != 4 {
		t.Fatalf("%d attempts; want Retries+1 = 4", len(calls))
	}
	for _, c := range calls {
		if c.idemKey != testAppID || c.applicationID != testAppID {
			t.Fatal("the Idempotency-Key or application_id changed between attempts")
		}
	}
	assertErrNoPersonalData(t, err)
}

func TestHTTPUnsignedGatewayErrorIsRetried(t *testing.T) {
	// A proxy in front of the bank cannot sign: the status counts, the body
	// is not trusted.
	f := newFakeBank(t, func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		if n == 0 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = io.WriteString(w, `<html>502 Bad Gateway {"error":{"code":"X","message":"forged"}}</html>`)
			return true
		}
		return false
	})
	acct, err := f.client(t, nil).Open(context.Background(), validApplication())
	if err != nil || acct.Status != bank.StatusOpen || len(f.Calls()) != 2 {
		t.Fatalf("Open = %+v, %v after %d attempts", acct, err, len(f.Calls()))
	}

	f = newFakeBank(t, func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":{"code":"FORGED","message":"forged"}}`)
		return true
	})
	_, err = f.client(t, nil).Open(context.Background(), validApplication())
	var be *partner.Error
	if !errors.As(err, &be) || be.Status != 400 || be.Code != "" || be.Message != "" || len(f.Calls()) != 1 {
		t.Fatalf("Open = %v after %d attempts; want an unsigned BankError 400 without code or message, once", err, len(f.Calls()))
	}
}

func TestHTTPSlowBankTimesOutAfterEveryAttempt(t *testing.T) {
	f := newFakeBank(t, func(_ *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		partnertest.Hang(n, w, r, body)
		return true
	})
	c := f.client(t, func(c *bank.HTTPConfig) { c.Timeout, c.Retries = 100*time.Millisecond, 2 })
	start := time.Now()
	_, err := c.Open(context.Background(), validApplication())
	elapsed := time.Since(start)
	if !errors.Is(err, bank.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open = %v; want ErrUnavailable wrapping a deadline", err)
	}
	calls := f.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d attempts; want Retries+1 = 3", len(calls))
	}
	for _, c := range calls {
		if c.idemKey != testAppID {
			t.Fatal("the Idempotency-Key changed between attempts")
		}
	}
	if elapsed < 300*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("took %v; want about 3 × 100 ms", elapsed)
	}
	assertErrNoPersonalData(t, err)
}

func TestHTTPSlowBodyTimesOut(t *testing.T) {
	// Headers come at once, the body never: the attempt's timeout covers it.
	f := newFakeBank(t, func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if n > 0 {
			return false
		}
		partnertest.HangMidBody(w, r, `{"bank_ref": `)
		return true
	})
	c := f.client(t, func(c *bank.HTTPConfig) { c.Timeout = 100 * time.Millisecond })
	acct, err := c.Open(context.Background(), validApplication())
	if err != nil || acct.Status != bank.StatusOpen || len(f.Calls()) != 2 || f.Accounts() != 1 {
		t.Fatalf("Open = %+v, %v after %d attempts", acct, err, len(f.Calls()))
	}
}

func TestHTTPDroppedConnectionIsRetried(t *testing.T) {
	f := newFakeBank(t, func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, body []byte) bool {
		if n > 0 {
			return false
		}
		f.route(httptest.NewRecorder(), r, body) // applied, then the line drops
		partnertest.Drop(t, w)
		return true
	})
	acct, err := f.client(t, nil).Open(context.Background(), validApplication())
	if err != nil || acct.BankRef != "BR0001" || len(f.Calls()) != 2 || f.Accounts() != 1 {
		t.Fatalf("Open = %+v, %v after %d attempts, %d accounts", acct, err, len(f.Calls()), f.Accounts())
	}
}

func TestHTTPUnreachableBank(t *testing.T) {
	c, err := bank.NewHTTP(bank.HTTPConfig{BaseURL: partnertest.Unreachable(t), AppID: appID, Secret: secret, Name: "b",
		Timeout: time.Second, Retries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Open(context.Background(), validApplication())
	if !errors.Is(err, bank.ErrUnavailable) {
		t.Fatalf("Open = %v; want ErrUnavailable", err)
	}
	assertErrNoPersonalData(t, err)
	_, err = c.Balance(context.Background(), fakeAccountNumber)
	if !errors.Is(err, bank.ErrUnavailable) {
		t.Fatalf("Balance = %v; want ErrUnavailable", err)
	}
	// The URL, which holds the ref, is not in the error.
	assertErrNoPersonalData(t, err, fakeAccountNumber)
}

// TestHTTPUntrustedAnswers: an unsigned or wrongly signed answer is
// ErrBadResponse and is not retried, whatever its body says.
func TestHTTPUntrustedAnswers(t *testing.T) {
	good := `{"bank_ref":"EVIL","account_number":"6217000000000000004","status":"OPEN"}`
	ts := func(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }
	sig := func(key string, status int, at, nonce, body string) string {
		return hmacHex(key, strconv.Itoa(status)+"\n"+at+"\n"+nonce+"\n"+sha256Hex([]byte(body)))
	}
	for name, write := range map[string]func(f *fakeBank, w http.ResponseWriter){
		"unsigned": func(_ *fakeBank, w http.ResponseWriter) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"wrong key": func(f *fakeBank, w http.ResponseWriter) { f.replyWith(w, 200, good, "other-secret", time.Now()) },
		"body changed": func(_ *fakeBank, w http.ResponseWriter) {
			now := ts(time.Now())
			w.Header().Set("X-Bank-Timestamp", now)
			w.Header().Set("X-Bank-Nonce", "n1234567890")
			w.Header().Set("X-Bank-Signature", sig(secret, 200, now, "n1234567890", `{"status":"PENDING"}`))
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"signed as another status": func(_ *fakeBank, w http.ResponseWriter) {
			now := ts(time.Now())
			w.Header().Set("X-Bank-Timestamp", now)
			w.Header().Set("X-Bank-Nonce", "n1234567890")
			w.Header().Set("X-Bank-Signature", sig(secret, 201, now, "n1234567890", good))
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"timestamp not signed": func(_ *fakeBank, w http.ResponseWriter) {
			now := time.Now()
			w.Header().Set("X-Bank-Timestamp", ts(now.Add(time.Second)))
			w.Header().Set("X-Bank-Nonce", "n1234567890")
			w.Header().Set("X-Bank-Signature", sig(secret, 200, ts(now), "n1234567890", good))
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"upper-case hex": func(_ *fakeBank, w http.ResponseWriter) {
			now := ts(time.Now())
			w.Header().Set("X-Bank-Timestamp", now)
			w.Header().Set("X-Bank-Nonce", "n1234567890")
			w.Header().Set("X-Bank-Signature", "zz"+sig(secret, 200, now, "n1234567890", good)[2:])
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"no nonce": func(_ *fakeBank, w http.ResponseWriter) {
			now := ts(time.Now())
			w.Header().Set("X-Bank-Timestamp", now)
			w.Header().Set("X-Bank-Signature", sig(secret, 200, now, "", good))
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"two signatures": func(_ *fakeBank, w http.ResponseWriter) {
			now := ts(time.Now())
			w.Header().Set("X-Bank-Timestamp", now)
			w.Header().Set("X-Bank-Nonce", "n1234567890")
			w.Header().Add("X-Bank-Signature", sig(secret, 200, now, "n1234567890", good))
			w.Header().Add("X-Bank-Signature", sig(secret, 200, now, "n1234567890", good))
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"stale": func(f *fakeBank, w http.ResponseWriter) {
			f.replyWith(w, 200, good, secret, time.Now().Add(-10*time.Minute))
		},
		"future": func(f *fakeBank, w http.ResponseWriter) {
			f.replyWith(w, 200, good, secret, time.Now().Add(10*time.Minute))
		},
		"wrongly signed 503": func(f *fakeBank, w http.ResponseWriter) {
			f.replyWith(w, 503, `{"error":{"code":"SYSTEM_ERROR"}}`, "other", time.Now())
		},
		"wrongly signed 400": func(f *fakeBank, w http.ResponseWriter) {
			f.replyWith(w, 400, `{"error":{"code":"INVALID_PARAM"}}`, "other", time.Now())
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeBank(t, func(f *fakeBank, _ int, w http.ResponseWriter, _ *http.Request, _ []byte) bool {
				write(f, w)
				return true
			})
			acct, err := f.client(t, nil).Open(context.Background(), validApplication())
			if !errors.Is(err, bank.ErrBadResponse) || acct != nil {
				t.Fatalf("Open = %+v, %v; want ErrBadResponse", acct, err)
			}
			var be *partner.Error
			if errors.As(err, &be) || errors.Is(err, bank.ErrUnavailable) {
				t.Fatalf("Open = %v; an untrusted answer is neither a BankError nor unavailability", err)
			}
			if n := len(f.Calls()); n != 1 {
				t.Fatalf("%d attempts; an untrusted answer is not retried", n)
			}
			assertErrNoPersonalData(t, err)
		})
	}
}

func TestHTTPBadJSONIsABadResponseAndNotRetried(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":            `status=OPEN`,
		"truncated":           `{"bank_ref":"A","status":"OP`,
		"array":               `["OPEN"]`,
		"empty":               ``,
		"trailing garbage":    `{"bank_ref":"A","account_number":"6217000000000000004","status":"OPEN"} x`,
		"no status":           `{"bank_ref":"A","account_number":"6217000000000000004"}`,
		"unknown status":      `{"bank_ref":"A","account_number":"6217000000000000004","status":"ACTIVE"}`,
		"status wrong type":   `{"bank_ref":"A","account_number":"6217000000000000004","status":1}`,
		"open without number": `{"bank_ref":"A","status":"OPEN"}`,
		"open without ref":    `{"account_number":"6217000000000000004","status":"OPEN"}`,
		"number with letters": `{"bank_ref":"A","account_number":"6217-0000-0000-0000","status":"OPEN"}`,
		"number too short":    `{"bank_ref":"A","account_number":"62170","status":"OPEN"}`,
		"ref is a path":       `{"bank_ref":"../admin","account_number":"6217000000000000004","status":"OPEN"}`,
		"ref with slash":      `{"bank_ref":"A/B","account_number":"6217000000000000004","status":"OPEN"}`,
		"ref too long":        `{"bank_ref":"` + strings.Repeat("A", 129) + `","account_number":"6217000000000000004","status":"OPEN"}`,
		"pending, bad number": `{"bank_ref":"A","account_number":"x","status":"PENDING"}`,
		"too long":            `{"bank_ref":"A","status":"REJECTED","pad":"` + strings.Repeat(" ", 300<<10) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeBank(t, answer(200, body))
			acct, err := f.client(t, nil).Open(context.Background(), validApplication())
			if !errors.Is(err, bank.ErrBadResponse) || acct != nil {
				t.Fatalf("Open = %+v, %v; want ErrBadResponse", acct, err)
			}
			if n := len(f.Calls()); n != 1 {
				t.Fatalf("%d attempts; a malformed answer is not retried", n)
			}
			assertErrNoPersonalData(t, err)
		})
	}
}

// TestHTTPErrorsNeverContainPersonalData has the bank echo the application
// in its error messages and codes, on every error status.
func TestHTTPErrorsNeverContainPersonalData(t *testing.T) {
	a := bank.Normalize(validApplication())
	echo := fmt.Sprintf("name %s (given name %s) id %s (%s, born %s) phone %s / 138-1234-5678 card %s / 6222 0212 3456 7890 128 "+
		"front %s account %s",
		a.Name, string([]rune(a.Name)[2:]), a.IDNumber, strings.ToLower(a.IDNumber), a.IDNumber[6:14], a.Phone, a.BoundCard,
		base64.StdEncoding.EncodeToString(a.IDPhotoFront), fakeAccountNumber)
	for _, code := range []string{a.IDNumber, a.Phone, a.BoundCard, a.Name} {
		errorBody, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": echo}})
		for _, status := range []int{400, 409, 500, 503, 307} {
			t.Run(strconv.Itoa(status), func(t *testing.T) {
				f := newFakeBank(t, answer(status, string(errorBody)))
				_, err := f.client(t, func(c *bank.HTTPConfig) { c.Retries = 1 }).Open(context.Background(), validApplication())
				var be *partner.Error
				if !errors.As(err, &be) || be.Status != status {
					t.Fatalf("Open = %v", err)
				}
				if be.Code != "" {
					t.Errorf("Code = %q; personal data is not a code", be.Code)
				}
				assertErrNoPersonalData(t, err, fakeAccountNumber)
				assertNoPersonalData(t, be.Message, fakeAccountNumber)
				if !strings.Contains(be.Message, "name *** (given name ***) id ***") {
					t.Errorf("Message = %q; want the rest of the message kept", be.Message)
				}
			})
		}
	}
}

func TestHTTPMalformedInputIsNotSent(t *testing.T) {
	f := newFakeBank(t, nil)
	c := f.client(t, nil)
	a := validApplication()
	a.Phone = "12345"
	_, err := c.Open(context.Background(), a)
	var ie *bank.InputError
	if !errors.As(err, &ie) || ie.Field != bank.FieldPhone {
		t.Fatalf("Open = %v; want an InputError about phone", err)
	}
	assertErrNoPersonalData(t, err)
	for _, id := range []string{"", "short", "has space 123", "line\nbreak12", strings.Repeat("a", 65), "中文申请编号123"} {
		a := validApplication()
		a.ApplicationID = id
		if _, err := c.Open(context.Background(), a); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Open with application id %q = %v; want ErrInvalidArgument", id, err)
		}
	}
	for _, ref := range []string{"", ".", "..", "../x", "a/b", "a?b", "a b", strings.Repeat("r", 129)} {
		if _, err := c.Balance(context.Background(), ref); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Balance(%q) = %v; want ErrInvalidArgument", ref, err)
		}
		if _, _, err := c.Transactions(context.Background(), ref, "", 10); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Transactions(%q) = %v; want ErrInvalidArgument", ref, err)
		}
	}
	for _, cur := range []string{"a b", "a\nb", strings.Repeat("c", 513), "中"} {
		if _, _, err := c.Transactions(context.Background(), "BR1", cur, 10); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Transactions(after %q) = %v; want ErrInvalidArgument", cur, err)
		}
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls for malformed input", n)
	}
}

func TestHTTPCancelledBeforeTheCall(t *testing.T) {
	f := newFakeBank(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := f.client(t, nil)
	_, err := c.Open(ctx, validApplication())
	if !errors.Is(err, context.Canceled) || errors.Is(err, bank.ErrUnavailable) {
		t.Fatalf("Open = %v; want context.Canceled", err)
	}
	if _, err := c.Balance(ctx, "BR1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Balance = %v", err)
	}
	if _, _, err := c.Transactions(ctx, "BR1", "", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Transactions = %v", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

func TestHTTPBalance(t *testing.T) {
	f := newFakeBank(t, nil)
	b, err := f.client(t, nil).Balance(context.Background(), "BR:0001")
	if err != nil {
		t.Fatal(err)
	}
	if b.AvailableFen != 12345 || b.LedgerFen != 13345 || !b.AsOf.Equal(time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("Balance = %+v", b)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].method != "GET" || calls[0].target != "/v2/class2-accounts/BR:0001/balance" || calls[0].idemKey != "" {
		t.Fatalf("calls %+v", calls)
	}
}

func TestHTTPBalanceErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		want   error
	}{
		"not found":     {404, `{"error":{"code":"ACCOUNT_NOT_FOUND","message":"account 6217991234567890123 not found"}}`, nil},
		"missing field": {200, `{"available_fen":1,"as_of":"2026-03-15T10:00:00+08:00"}`, bank.ErrBadResponse},
		"fractional":    {200, `{"available_fen":1.5,"ledger_fen":2,"as_of":"2026-03-15T10:00:00+08:00"}`, bank.ErrBadResponse},
		"string amount": {200, `{"available_fen":"1","ledger_fen":2,"as_of":"2026-03-15T10:00:00+08:00"}`, bank.ErrBadResponse},
		"bad time":      {200, `{"available_fen":1,"ledger_fen":2,"as_of":"15/03/2026"}`, bank.ErrBadResponse},
		"null time":     {200, `{"available_fen":1,"ledger_fen":2,"as_of":null}`, bank.ErrBadResponse},
		"not JSON":      {200, `<xml/>`, bank.ErrBadResponse},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeBank(t, answer(tc.status, tc.body))
			b, err := f.client(t, nil).Balance(context.Background(), "BR1")
			if b != nil || err == nil {
				t.Fatalf("Balance = %+v, %v", b, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Balance = %v; want %v", err, tc.want)
			}
			var be *partner.Error
			if tc.want == nil && (!errors.As(err, &be) || be.Code != bank.CodeAccountNotFound) {
				t.Fatalf("Balance = %v; want ACCOUNT_NOT_FOUND", err)
			}
			if len(f.Calls()) != 1 {
				t.Fatalf("%d attempts", len(f.Calls()))
			}
			assertErrNoPersonalData(t, err, fakeAccountNumber)
		})
	}
}

func TestHTTPBalanceTimeoutHidesTheRef(t *testing.T) {
	f := newFakeBank(t, func(_ *fakeBank, _ int, _ http.ResponseWriter, r *http.Request, _ []byte) bool {
		<-r.Context().Done()
		return true
	})
	c := f.client(t, func(c *bank.HTTPConfig) { c.Timeout, c.Retries = 50*time.Millisecond, 1 })
	// A bank may use the account number as its ref: it is not in errors.
	_, err := c.Balance(context.Background(), fakeAccountNumber)
	if !errors.Is(err, bank.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || len(f.Calls()) != 2 {
		t.Fatalf("Balance = %v after %d attempts", err, len(f.Calls()))
	}
	assertErrNoPersonalData(t, err, fakeAccountNumber)
	_, _, err = c.Transactions(context.Background(), fakeAccountNumber, "c"+fakeAccountNumber, 5)
	if !errors.Is(err, bank.ErrUnavailable) {
		t.Fatalf("Transactions = %v", err)
	}
	assertErrNoPersonalData(t, err, fakeAccountNumber)
}

func TestHTTPTransactionsPaging(t *testing.T) {
	f := newFakeBank(t, nil)
	kinds := []struct {
		kind string
		sign int64
	}{{"TOPUP", 1}, {"PAYMENT", -1}, {"REFUND", 1}, {"WITHDRAWAL", -1}, {"INTEREST", 1}}
	at := time.Date(2026, 3, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.mu.Lock()
	for i := range 7 {
		k := kinds[i%len(kinds)]
		f.txs = append(f.txs, map[string]any{"id": fmt.Sprintf("T%03d", 7-i), "amount_fen": k.sign * int64(100*(i+1)),
			"kind": k.kind, "description": fmt.Sprintf("第%d笔\n交易", i), "at": at.Add(-time.Duration(i) * time.Hour).Format(time.RFC3339)})
	}
	f.mu.Unlock()
	c := f.client(t, nil)
	var all []bank.Transaction
	var pages []int
	after := ""
	for range 10 {
		txs, next, err := c.Transactions(context.Background(), "BR1", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, txs...)
		pages = append(pages, len(txs))
		if next == "" {
			break
		}
		after = next
	}
	if !slices.Equal(pages, []int{3, 3, 1}) || len(all) != 7 {
		t.Fatalf("pages %v; want [3 3 1]", pages)
	}
	for i, tx := range all {
		k := kinds[i%len(kinds)]
		if tx.ID != fmt.Sprintf("T%03d", 7-i) || tx.AmountFen != k.sign*int64(100*(i+1)) || tx.Kind != k.kind ||
			!tx.At.Equal(at.Add(-time.Duration(i)*time.Hour)) || tx.Description != fmt.Sprintf("第%d笔 交易", i) {
			t.Errorf("transaction %d = %+v", i, tx)
		}
	}
	// The cursor and limit travel in the signed query.
	calls := f.Calls()
	wantTargets := []string{
		"/v2/class2-accounts/BR1/transactions?limit=3",
		"/v2/class2-accounts/BR1/transactions?after=c3&limit=3",
		"/v2/class2-accounts/BR1/transactions?after=c6&limit=3",
	}
	for i, c := range calls {
		if c.method != "GET" || c.target != wantTargets[i] {
			t.Errorf("call %d: %s %s; want GET %s", i, c.method, c.target, wantTargets[i])
		}
	}
	// Limits: 0 is the default, too many is cut.
	for limit, want := range map[int]string{0: "limit=20", -5: "limit=20", 1000: "limit=100", 100: "limit=100"} {
		if _, _, err := c.Transactions(context.Background(), "BR1", "", limit); err != nil {
			t.Fatal(err)
		}
		calls := f.Calls()
		if got := calls[len(calls)-1].target; !strings.HasSuffix(got, want) {
			t.Errorf("limit %d: %s; want %s", limit, got, want)
		}
	}
}

func TestHTTPTransactionsEmpty(t *testing.T) {
	f := newFakeBank(t, nil)
	txs, next, err := f.client(t, nil).Transactions(context.Background(), "BR1", "", 10)
	if err != nil || len(txs) != 0 || next != "" {
		t.Fatalf("Transactions = %v, %q, %v", txs, next, err)
	}
}

func TestHTTPTransactionsBadAnswers(t *testing.T) {
	tx := func(fields string) string { return `{"transactions":[{` + fields + `}],"next":""}` }
	for name, body := range map[string]string{
		"no transactions":   `{"next":""}`,
		"not a list":        `{"transactions":{}}`,
		"no id":             tx(`"amount_fen":1,"kind":"TOPUP","at":"2026-03-15T10:00:00+08:00"`),
		"id with space":     tx(`"id":"a b","amount_fen":1,"kind":"TOPUP","at":"2026-03-15T10:00:00+08:00"`),
		"no amount":         tx(`"id":"T1","kind":"TOPUP","at":"2026-03-15T10:00:00+08:00"`),
		"zero amount":       tx(`"id":"T1","amount_fen":0,"kind":"TOPUP","at":"2026-03-15T10:00:00+08:00"`),
		"negative topup":    tx(`"id":"T1","amount_fen":-1,"kind":"TOPUP","at":"2026-03-15T10:00:00+08:00"`),
		"positive payment":  tx(`"id":"T1","amount_fen":5,"kind":"PAYMENT","at":"2026-03-15T10:00:00+08:00"`),
		"lower-case kind":   tx(`"id":"T1","amount_fen":1,"kind":"topup","at":"2026-03-15T10:00:00+08:00"`),
		"no time":           tx(`"id":"T1","amount_fen":1,"kind":"TOPUP"`),
		"more than limit":   `{"transactions":[` + strings.Repeat(`{"id":"T","amount_fen":1,"kind":"TOPUP","at":"2026-03-15T10:00:00Z"},`, 2) + `{"id":"T","amount_fen":1,"kind":"TOPUP","at":"2026-03-15T10:00:00Z"}],"next":""}`,
		"cursor with space": `{"transactions":[],"next":"a b"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeBank(t, answer(200, body))
			txs, next, err := f.client(t, nil).Transactions(context.Background(), "BR1", "", 2)
			if !errors.Is(err, bank.ErrBadResponse) || txs != nil || next != "" {
				t.Fatalf("Transactions = %v, %q, %v; want ErrBadResponse", txs, next, err)
			}
			if len(f.Calls()) != 1 {
				t.Fatalf("%d attempts", len(f.Calls()))
			}
		})
	}
}

func TestHTTPBaseURLWithPath(t *testing.T) {
	f := newFakeBank(t, func(f *fakeBank, _ int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/api/v2/class2-accounts/BR1/balance" {
			t.Errorf("path %q", r.URL.Path)
		}
		f.reply(w, 200, `{"available_fen":0,"ledger_fen":0,"as_of":"2026-03-15T10:00:00Z"}`)
		return true
	})
	c := f.client(t, func(c *bank.HTTPConfig) { c.BaseURL = f.URL + "/api/" })
	if _, err := c.Balance(context.Background(), "BR1"); err != nil {
		t.Fatal(err)
	}
	if c.Name() != "partner-bank" {
		t.Fatalf("Name = %q", c.Name())
	}
}

func TestHTTPClockIsUsed(t *testing.T) {
	// Bank and client agree on a clock a year off the real one: the request
	// timestamp and the response check both use HTTPConfig.Now. The stale
	// and future cases of TestHTTPUntrustedAnswers check the skew itself.
	clock := func() time.Time { return time.Now().AddDate(1, 0, 0) }
	f := newFakeBankAt(t, clock, nil)
	c := f.client(t, func(c *bank.HTTPConfig) { c.Now = clock })
	if _, err := c.Balance(context.Background(), "BR1"); err != nil {
		t.Fatal(err)
	}
	// (Had either used the real clock, the bank would have refused the
	// request's timestamp, or the client the answer's.)
}

func TestNewHTTPRefusesBadConfig(t *testing.T) {
	ok := bank.HTTPConfig{BaseURL: "https://openapi.bank.example.com", AppID: appID, Secret: secret, Name: "partner-bank"}
	if c, err := bank.NewHTTP(ok); err != nil || c.Name() != "partner-bank" {
		t.Fatalf("NewHTTP(ok) = %v, %v", c, err)
	}
	noName := ok
	noName.Name = "" // an account record must say which bank holds it
	if _, err := bank.NewHTTP(noName); err == nil {
		t.Error("no name: NewHTTP accepted it")
	}
	partnertest.CheckConfigs(t, ok, func(cfg partner.Config) error { _, err := bank.NewHTTP(cfg); return err })
}

// TestSignaturesMatchTheSpec pins the exported signature functions to the
// protocol's formulas, computed here independently.
func TestSignaturesMatchTheSpec(t *testing.T) {
	body := []byte(`{"a":1}`)
	want := hmacHex(secret, "POST\n/v2/class2-accounts\n1700000000\nnonce1\n"+sha256Hex(body))
	if got := bank.RequestSignature([]byte(secret), "POST", "/v2/class2-accounts", "1700000000", "nonce1", body); got != want {
		t.Fatalf("RequestSignature = %s; want %s", got, want)
	}
	want = hmacHex(secret, "GET\n/v2/class2-accounts/B/transactions?after=x&limit=2\n1\nn\n"+
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	if got := bank.RequestSignature([]byte(secret), "GET", "/v2/class2-accounts/B/transactions?after=x&limit=2", "1", "n", nil); got != want {
		t.Fatalf("RequestSignature(GET) = %s; want %s", got, want)
	}
	want = hmacHex(secret, "200\n1700000000\nnonce2\n"+sha256Hex(body))
	if got := bank.ResponseSignature([]byte(secret), 200, "1700000000", "nonce2", body); got != want {
		t.Fatalf("ResponseSignature = %s; want %s", got, want)
	}
}

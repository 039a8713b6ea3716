package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/payment"
)

// now is the verifier's clock in these tests.
var now = time.Date(2026, 11, 29, 2, 16, 0, 0, time.UTC)

const paidBody = `{"event_id":"EV-20261129-0001","out_trade_no":"TX2026112900000001","transaction_id":"4200001234202611290000000001","amount_fen":2590,"status":"SUCCESS","paid_at":"2026-11-29T10:15:30+08:00"}`

// signedHeader signs like the provider, independently of the package.
func signedHeader(secret string, ts time.Time, nonce, body string) http.Header {
	t := strconv.FormatInt(ts.Unix(), 10)
	return http.Header{
		"Content-Type":    {"application/json"},
		"X-Pay-Timestamp": {t},
		"X-Pay-Nonce":     {nonce},
		"X-Pay-Signature": {testMAC(secret, t, nonce, body)},
	}
}

// verifiers are both providers with the test secret: they share one
// implementation, and each case must hold for both.
func verifiers(t *testing.T) map[string]payment.Provider {
	p, err := payment.NewHTTP(payment.HTTPConfig{Name: "wechat", BaseURL: "https://api.pay.example.com", AppID: testMchID, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]payment.Provider{
		"wechat":  p,
		"sandbox": payment.NewSandbox("sandbox", []byte(testSecret), "http://localhost:8080/sandbox/pay"),
	}
}

func assertCallback(t *testing.T, got *payment.Callback, want payment.Callback) {
	t.Helper()
	if got == nil {
		t.Fatal("no callback")
	}
	g, w := *got, want
	if !g.PaidAt.Equal(w.PaidAt) || !g.Timestamp.Equal(w.Timestamp) {
		t.Fatalf("PaidAt, Timestamp = %v, %v; want %v, %v", g.PaidAt, g.Timestamp, w.PaidAt, w.Timestamp)
	}
	g.PaidAt, g.Timestamp, w.PaidAt, w.Timestamp = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Fatalf("callback = %+v\nwant       %+v", g, w)
	}
}

func TestVerifyCallbackAcceptsSignedCallback(t *testing.T) {
	for name, p := range verifiers(t) {
		for _, age := range []time.Duration{0, 30 * time.Second, -30 * time.Second, payment.MaxSkew, -payment.MaxSkew} {
			signedAt := now.Add(-age)
			h := signedHeader(testSecret, signedAt, "nonce-0001", paidBody)
			cb, err := p.VerifyCallback(h, []byte(paidBody), now)
			if err != nil {
				t.Fatalf("%s, signed %v ago: %v", name, age, err)
			}
			assertCallback(t, cb, payment.Callback{
				Provider:    name,
				EventID:     "EV-20261129-0001",
				Nonce:       "nonce-0001",
				OrderNo:     "TX2026112900000001",
				ProviderRef: "4200001234202611290000000001",
				AmountFen:   2590,
				Status:      payment.StatusPaid,
				PaidAt:      time.Date(2026, 11, 29, 2, 15, 30, 0, time.UTC),
				Timestamp:   signedAt,
			})
			if payment.HTTPStatus(err) != http.StatusOK {
				t.Fatalf("HTTPStatus(nil) = %d", payment.HTTPStatus(err))
			}
		}
	}
}

func TestVerifyCallbackFailAndClosed(t *testing.T) {
	for wire, want := range map[string]payment.Status{"FAIL": payment.StatusFailed, "CLOSED": payment.StatusClosed} {
		body := `{"event_id":"EV-2","out_trade_no":"TX2026112900000001","transaction_id":"42000012","amount_fen":2590,"status":"` + wire + `"}`
		for name, p := range verifiers(t) {
			cb, err := p.VerifyCallback(signedHeader(testSecret, now, "n2", body), []byte(body), now)
			if err != nil {
				t.Fatalf("%s %s: %v", name, wire, err)
			}
			assertCallback(t, cb, payment.Callback{
				Provider: name, EventID: "EV-2", Nonce: "n2", OrderNo: "TX2026112900000001", ProviderRef: "42000012",
				AmountFen: 2590, Status: want, Timestamp: now,
			})
		}
	}
}

func TestVerifyCallbackRefuses(t *testing.T) {
	with := func(field, value string) string { // paidBody with one field replaced
		var m map[string]any
		if err := json.Unmarshal([]byte(paidBody), &m); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(m, field)
		} else {
			var v any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				t.Fatal(err)
			}
			m[field] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	signed := func(body string) (http.Header, string) {
		return signedHeader(testSecret, now.Add(-10*time.Second), "nonce-0001", body), body
	}
	for _, tc := range []struct {
		name  string
		build func() (http.Header, string)
		want  error
	}{
		{"wrong secret", func() (http.Header, string) {
			return signedHeader("another-secret", now, "nonce-0001", paidBody), paidBody
		}, payment.ErrBadSignature},
		{"signature not hex", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Set("X-Pay-Signature", "zz"+h.Get("X-Pay-Signature")[2:])
			return h, b
		}, payment.ErrBadSignature},
		{"truncated signature", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Set("X-Pay-Signature", h.Get("X-Pay-Signature")[:32])
			return h, b
		}, payment.ErrBadSignature},
		{"no signature header", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Del("X-Pay-Signature")
			return h, b
		}, payment.ErrBadSignature},
		{"no timestamp header", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Del("X-Pay-Timestamp")
			return h, b
		}, payment.ErrBadSignature},
		{"no nonce header", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Del("X-Pay-Nonce")
			return h, b
		}, payment.ErrBadSignature},
		{"no headers at all", func() (http.Header, string) { return http.Header{}, paidBody }, payment.ErrBadSignature},
		{"two signature headers", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Add("X-Pay-Signature", h.Get("X-Pay-Signature"))
			return h, b
		}, payment.ErrBadSignature},
		{"tampered body", func() (http.Header, string) {
			h, _ := signed(paidBody)
			return h, strings.Replace(paidBody, `"amount_fen":2590`, `"amount_fen":1`, 1)
		}, payment.ErrBadSignature},
		{"timestamp replaced after signing", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Set("X-Pay-Timestamp", strconv.FormatInt(now.Unix(), 10))
			return h, b
		}, payment.ErrBadSignature},
		{"nonce replaced after signing", func() (http.Header, string) {
			h, b := signed(paidBody)
			h.Set("X-Pay-Nonce", "nonce-0002")
			return h, b
		}, payment.ErrBadSignature},
		{"6 minutes old", func() (http.Header, string) {
			return signedHeader(testSecret, now.Add(-6*time.Minute), "nonce-0001", paidBody), paidBody
		}, payment.ErrStale},
		{"5 minutes 1 second old", func() (http.Header, string) {
			return signedHeader(testSecret, now.Add(-payment.MaxSkew-time.Second), "nonce-0001", paidBody), paidBody
		}, payment.ErrStale},
		{"6 minutes in the future", func() (http.Header, string) {
			return signedHeader(testSecret, now.Add(6*time.Minute), "nonce-0001", paidBody), paidBody
		}, payment.ErrStale},
		{"year 1970", func() (http.Header, string) {
			return signedHeader(testSecret, time.Unix(0, 0), "nonce-0001", paidBody), paidBody
		}, payment.ErrStale},
		{"timestamp not a number", func() (http.Header, string) {
			return http.Header{
				"X-Pay-Timestamp": {"yesterday"},
				"X-Pay-Nonce":     {"nonce-0001"},
				"X-Pay-Signature": {testMAC(testSecret, "yesterday", "nonce-0001", paidBody)},
			}, paidBody
		}, payment.ErrMalformed},
		{"nonce too long", func() (http.Header, string) {
			return signedHeader(testSecret, now, strings.Repeat("n", 65), paidBody), paidBody
		}, payment.ErrMalformed},
		{"unknown status", func() (http.Header, string) { return signed(with("status", `"REFUND"`)) }, payment.ErrMalformed},
		{"our status instead of the wire one", func() (http.Header, string) { return signed(with("status", `"PAID"`)) }, payment.ErrMalformed},
		{"negative amount", func() (http.Header, string) { return signed(with("amount_fen", `-2590`)) }, payment.ErrMalformed},
		{"zero amount", func() (http.Header, string) { return signed(with("amount_fen", `0`)) }, payment.ErrMalformed},
		{"no amount", func() (http.Header, string) { return signed(with("amount_fen", ``)) }, payment.ErrMalformed},
		{"fractional amount", func() (http.Header, string) { return signed(with("amount_fen", `25.9`)) }, payment.ErrMalformed},
		{"amount as a string", func() (http.Header, string) { return signed(with("amount_fen", `"2590"`)) }, payment.ErrMalformed},
		{"no event_id", func() (http.Header, string) { return signed(with("event_id", ``)) }, payment.ErrMalformed},
		{"no out_trade_no", func() (http.Header, string) { return signed(with("out_trade_no", ``)) }, payment.ErrMalformed},
		{"event_id too long", func() (http.Header, string) { return signed(with("event_id", `"`+strings.Repeat("e", 129)+`"`)) }, payment.ErrMalformed},
		{"no transaction_id", func() (http.Header, string) { return signed(with("transaction_id", ``)) }, payment.ErrMalformed},
		{"SUCCESS without paid_at", func() (http.Header, string) { return signed(with("paid_at", ``)) }, payment.ErrMalformed},
		{"paid_at not RFC 3339", func() (http.Header, string) { return signed(with("paid_at", `"2026-11-29 10:15:30"`)) }, payment.ErrMalformed},
		{"not JSON", func() (http.Header, string) { return signed(`status=SUCCESS`) }, payment.ErrMalformed},
		{"empty body", func() (http.Header, string) { return signed(``) }, payment.ErrMalformed},
		{"JSON array", func() (http.Header, string) { return signed(`[` + paidBody + `]`) }, payment.ErrMalformed},
		{"trailing data", func() (http.Header, string) { return signed(paidBody + `{}`) }, payment.ErrMalformed},
		{"too long", func() (http.Header, string) {
			return signed(paidBody[:len(paidBody)-1] + `,"pad":"` + strings.Repeat("x", payment.MaxCallbackBytes) + `"}`)
		}, payment.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, p := range verifiers(t) {
				h, body := tc.build()
				cb, err := p.VerifyCallback(h, []byte(body), now)
				if cb != nil || !errors.Is(err, tc.want) {
					t.Fatalf("%s: VerifyCallback = %+v, %v; want %v", name, cb, err, tc.want)
				}
				for _, other := range []error{payment.ErrBadSignature, payment.ErrStale, payment.ErrMalformed} {
					if other != tc.want && errors.Is(err, other) {
						t.Fatalf("%s: error %v is also %v", name, err, other)
					}
				}
				wantStatus := http.StatusUnauthorized
				if tc.want == payment.ErrMalformed {
					wantStatus = http.StatusBadRequest
				}
				if got := payment.HTTPStatus(err); got != wantStatus {
					t.Fatalf("%s: HTTPStatus(%v) = %d, want %d", name, err, got, wantStatus)
				}
				if len(body) > 20 && strings.Contains(err.Error(), body[:20]) {
					t.Fatalf("%s: error %q repeats the body", name, err)
				}
			}
		})
	}
}

func TestHTTPStatusOfOtherErrors(t *testing.T) {
	if got := payment.HTTPStatus(errors.New("database down")); got != http.StatusInternalServerError {
		t.Fatalf("HTTPStatus(other) = %d, want 500", got)
	}
}

func TestSandboxCreatePayment(t *testing.T) {
	s := payment.NewSandbox("sandbox", []byte(testSecret), "http://localhost:8080/sandbox/pay/")
	in, err := s.CreatePayment(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	if in.Provider != "sandbox" || !strings.HasPrefix(in.ProviderRef, "sbx_") || len(in.ProviderRef) != 28 ||
		in.PayURL != "http://localhost:8080/sandbox/pay/"+in.ProviderRef {
		t.Fatalf("intent = %+v", *in)
	}
	again, err := s.CreatePayment(context.Background(), validRequest())
	if err != nil || *again != *in {
		t.Fatalf("same order again = %+v, %v; want the same intent %+v", again, err, *in)
	}
	other := validRequest()
	other.OrderNo = "TX2026112900000002"
	if in2, err := s.CreatePayment(context.Background(), other); err != nil || in2.ProviderRef == in.ProviderRef {
		t.Fatalf("another order = %+v, %v; want another prepay id", in2, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CreatePayment(ctx, validRequest()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: error = %v", err)
	}
}

func TestSandboxSignedCallbackVerifiesLikeTheProvidersOwn(t *testing.T) {
	s := payment.NewSandbox("sandbox", []byte(testSecret), "http://localhost:8080/sandbox/pay")
	signedAt := time.Date(2026, 11, 29, 2, 15, 59, 123456789, time.UTC)
	h, body := s.SignedCallback("TX2026112900000001", "sbx_0123456789abcdef01234567", 2590, payment.StatusPaid, signedAt)

	// The wire form is the provider's: the fields, and a signature the
	// provider's own code (testMAC) computes.
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(mapKeys(fields)); !slices.Equal(keys, []string{"amount_fen", "event_id", "out_trade_no", "paid_at", "status", "transaction_id"}) {
		t.Fatalf("callback fields %v", keys)
	}
	if fields["status"] != "SUCCESS" || fields["paid_at"] != "2026-11-29T02:15:59Z" {
		t.Fatalf("callback body %s", body)
	}
	if want := testMAC(testSecret, h.Get("X-Pay-Timestamp"), h.Get("X-Pay-Nonce"), string(body)); h.Get("X-Pay-Signature") != want {
		t.Fatalf("signature %q, want %q", h.Get("X-Pay-Signature"), want)
	}

	for name, p := range verifiers(t) {
		cb, err := p.VerifyCallback(h, body, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertCallback(t, cb, payment.Callback{
			Provider:    name,
			EventID:     fields["event_id"].(string),
			Nonce:       h.Get("X-Pay-Nonce"),
			OrderNo:     "TX2026112900000001",
			ProviderRef: "sbx_0123456789abcdef01234567",
			AmountFen:   2590,
			Status:      payment.StatusPaid,
			PaidAt:      time.Date(2026, 11, 29, 2, 15, 59, 0, time.UTC),
			Timestamp:   time.Date(2026, 11, 29, 2, 15, 59, 0, time.UTC),
		})
		if !strings.HasPrefix(cb.EventID, "sbx_evt_") || cb.Nonce == "" {
			t.Fatalf("%s: event id %q, nonce %q", name, cb.EventID, cb.Nonce)
		}
		if _, err := p.VerifyCallback(h, body, signedAt.Add(6*time.Minute)); !errors.Is(err, payment.ErrStale) {
			t.Fatalf("%s: 6 minutes later: %v, want ErrStale", name, err)
		}
	}

	// Each callback is a new event with a new nonce.
	h2, body2 := s.SignedCallback("TX2026112900000001", "sbx_0123456789abcdef01234567", 2590, payment.StatusPaid, signedAt)
	cb2, err := s.VerifyCallback(h2, body2, now)
	if err != nil {
		t.Fatal(err)
	}
	if cb2.EventID == fields["event_id"] || cb2.Nonce == h.Get("X-Pay-Nonce") {
		t.Fatalf("second callback reuses event id %q or nonce %q", cb2.EventID, cb2.Nonce)
	}

	// Another secret does not verify it.
	other, err := payment.NewHTTP(payment.HTTPConfig{Name: "wechat", BaseURL: "https://api.pay.example.com", AppID: testMchID, Secret: "another-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyCallback(h, body, now); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("other secret: %v, want ErrBadSignature", err)
	}
}

func TestSandboxSignedCallbackStatuses(t *testing.T) {
	s := payment.NewSandbox("sandbox", []byte(testSecret), "http://localhost:8080/sandbox/pay")
	for _, st := range []payment.Status{payment.StatusFailed, payment.StatusClosed} {
		h, body := s.SignedCallback("TX2026112900000001", "sbx_1", 2590, st, now)
		cb, err := s.VerifyCallback(h, body, now)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		if cb.Status != st || !cb.PaidAt.IsZero() || strings.Contains(string(body), "paid_at") {
			t.Fatalf("%s: callback %+v from %s", st, *cb, body)
		}
	}
	// What the sandbox cannot express as the provider would is refused.
	for _, tc := range []struct {
		status payment.Status
		amount int64
	}{{"REFUNDED", 2590}, {payment.StatusPaid, -1}} {
		h, body := s.SignedCallback("TX2026112900000001", "sbx_1", tc.amount, tc.status, now)
		if _, err := s.VerifyCallback(h, body, now); !errors.Is(err, payment.ErrMalformed) {
			t.Fatalf("%s %d: %v, want ErrMalformed", tc.status, tc.amount, err)
		}
	}
}

func TestNewSandboxRefusesEmptySecret(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewSandbox with an empty secret did not panic")
		}
	}()
	payment.NewSandbox("sandbox", nil, "http://localhost:8080/sandbox/pay")
}

package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
	"github.com/tongxue/tongxue/internal/partners/payment"
)

const (
	testSecret = "test-secret-5f1c0e9a2b7d4c3e"
	testMchID  = "1900000109"
)

// testMAC is the signature computed independently of the package, as the
// provider's side computes it.
func testMAC(secret, ts, nonce, body string) string {
	return partnertest.HMACHex(secret, ts+"\n"+nonce+"\n"+body+"\n")
}

func validRequest() payment.Request {
	return payment.Request{
		OrderNo:     "TX2026112900000001",
		AmountFen:   2590,
		Description: "同学商城-高等数学教材 ×1",
		NotifyURL:   "https://api.tongxue.example/payment/notify/wechat",
	}
}

// newFake plays the provider: it checks every request as the real one
// would (check) and answers with respond(n), n counting requests from 1.
func newFake(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *partnertest.Server {
	return partnertest.New(t, partnertest.Options{
		Check: func(r *http.Request, body []byte) string { return check(r, string(body)) },
		Nonce: "X-Pay-Nonce",
		Refuse: func(w http.ResponseWriter, problem string) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":"SIGN_ERROR","message":"`+problem+`"}`)
		},
	}, func(n int, w http.ResponseWriter, r *http.Request, _ []byte) { respond(n+1, w, r) })
}

// check returns what the real provider would refuse in r, or "".
func check(r *http.Request, body string) string {
	h := r.Header
	switch {
	case r.Method != http.MethodPost:
		return "method " + r.Method
	case r.URL.Path != payment.PathTransactions:
		return "path " + r.URL.Path
	case h.Get("Content-Type") != "application/json":
		return "content type " + h.Get("Content-Type")
	case h.Get("X-Pay-Mchid") != testMchID:
		return "mchid header " + h.Get("X-Pay-Mchid")
	case h.Get("X-Pay-Nonce") == "":
		return "no nonce"
	}
	ts := h.Get("X-Pay-Timestamp")
	if problem := partnertest.CheckTimestamp("timestamp", ts, time.Now(), 5*time.Minute); problem != "" {
		return problem
	}
	if want := testMAC(testSecret, ts, h.Get("X-Pay-Nonce"), body); h.Get("X-Pay-Signature") != want {
		return "signature " + h.Get("X-Pay-Signature") + ", want " + want
	}
	// Only these fields, nothing about the buyer.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		return "body is not a JSON object"
	}
	if keys := slices.Sorted(mapKeys(fields)); !slices.Equal(keys, []string{"amount", "description", "mchid", "notify_url", "out_trade_no"}) {
		return "body fields " + strings.Join(keys, ",")
	}
	var amount map[string]json.RawMessage
	if err := json.Unmarshal(fields["amount"], &amount); err != nil {
		return "amount is not an object"
	}
	if keys := slices.Sorted(mapKeys(amount)); !slices.Equal(keys, []string{"currency", "total"}) {
		return "amount fields " + strings.Join(keys, ",")
	}
	var mchid, outTradeNo string
	_ = json.Unmarshal(fields["mchid"], &mchid)
	_ = json.Unmarshal(fields["out_trade_no"], &outTradeNo)
	if mchid != testMchID {
		return "body mchid " + mchid
	}
	if h.Get("Idempotency-Key") != outTradeNo {
		return "Idempotency-Key " + h.Get("Idempotency-Key") + " is not out_trade_no " + outTradeNo
	}
	return ""
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func answer(status int, body string) func(int, http.ResponseWriter, *http.Request) {
	reply := partnertest.Reply(status, body)
	return func(n int, w http.ResponseWriter, r *http.Request) { reply(n, w, r, nil) }
}

const okAnswer = `{"prepay_id":"wx2611290000000000000001","pay_url":"https://pay.example.com/cashier?prepay_id=wx2611290000000000000001"}`

func newHTTP(t *testing.T, baseURL string, retries int, timeout time.Duration) *payment.HTTPClient {
	t.Helper()
	p, err := payment.NewHTTP(payment.HTTPConfig{
		Name:    "wechat",
		BaseURL: baseURL,
		AppID:   testMchID,
		Secret:  testSecret,
		Timeout: timeout,
		Retries: retries,
		Backoff: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assertNoRequestBody fails if err repeats anything of the request body.
func assertNoRequestBody(t *testing.T, err error) {
	t.Helper()
	r := validRequest()
	for _, s := range []string{r.Description, r.NotifyURL, `"out_trade_no"`, `"notify_url"`, testSecret} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats %q of the request", err, s)
		}
	}
}

// TestHTTPClient runs what every partner client owes on CreatePayment.
func TestHTTPClient(t *testing.T) {
	partnertest.ClientTests(t, partnertest.Subject{
		Fake: func(t *testing.T, respond partnertest.Respond) *partnertest.Server {
			return newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { respond(n-1, w, r, nil) })
		},
		Reply:     partnertest.Reply,
		ErrorBody: func(code, message string) string { return `{"code":"` + code + `","message":"` + message + `"}` },
		Call: func(ctx context.Context, t *testing.T, base string, edit func(*partner.Config)) error {
			cfg := payment.HTTPConfig{Name: "wechat", BaseURL: base, AppID: testMchID, Secret: testSecret,
				Timeout: time.Second, Retries: 2, Backoff: time.Millisecond}
			if edit != nil {
				edit(&cfg)
			}
			p, err := payment.NewHTTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.CreatePayment(ctx, validRequest())
			return err
		},
	})
}

func TestCreatePaymentSendsOnlyOrderDataSigned(t *testing.T) {
	f := newFake(t, answer(http.StatusOK, okAnswer))
	p := newHTTP(t, f.URL, 2, time.Second)

	in, err := p.CreatePayment(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	want := payment.Intent{
		Provider:    "wechat",
		ProviderRef: "wx2611290000000000000001",
		PayURL:      "https://pay.example.com/cashier?prepay_id=wx2611290000000000000001",
	}
	if *in != want {
		t.Fatalf("intent = %+v, want %+v", *in, want)
	}
	got := f.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	// The fake checked signature, headers and field names; now the values.
	var body struct {
		MchID      string `json:"mchid"`
		OutTradeNo string `json:"out_trade_no"`
		Amount     struct {
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
		Description string `json:"description"`
		NotifyURL   string `json:"notify_url"`
	}
	if err := json.Unmarshal([]byte(string(got[0].Body)), &body); err != nil {
		t.Fatal(err)
	}
	r := validRequest()
	if body.MchID != testMchID || body.OutTradeNo != r.OrderNo || body.Amount.Total != 2590 || body.Amount.Currency != "CNY" ||
		body.Description != r.Description || body.NotifyURL != r.NotifyURL {
		t.Fatalf("body = %s", string(got[0].Body))
	}
	if k := got[0].Header.Get("Idempotency-Key"); k != "TX2026112900000001" {
		t.Fatalf("Idempotency-Key = %q", k)
	}
	if sig := got[0].Header.Get("X-Pay-Signature"); len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("signature %q is not lowercase hex SHA-256", sig)
	}
}

// The structural privacy guarantee: a Request cannot carry the buyer.
func TestRequestHasNoFieldForPersonalData(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[payment.Request]().Fields() {
		names = append(names, f.Name)
	}
	if want := []string{"OrderNo", "AmountFen", "Description", "NotifyURL"}; !slices.Equal(names, want) {
		t.Fatalf("Request fields = %v, want %v: whatever is added reaches the provider (SHARE_PAYMENT lists only order number and amount)", names, want)
	}
}

func TestCreatePayment4xxIsTypedAndNotRetried(t *testing.T) {
	f := newFake(t, answer(http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"notify_url is not reachable"}`))
	p := newHTTP(t, f.URL, 3, time.Second)

	in, err := p.CreatePayment(context.Background(), validRequest())
	if in != nil || err == nil {
		t.Fatalf("CreatePayment = %v, %v; want an error", in, err)
	}
	var pe *partner.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *partner.Error", err, err)
	}
	want := partner.Error{Partner: "payment provider", Status: 400, Code: "PARAM_ERROR", Message: "notify_url is not reachable"}
	if *pe != want {
		t.Fatalf("partner.Error = %+v, want %+v", *pe, want)
	}
	if pe.Retryable {
		t.Fatal("a 400 is retryable")
	}
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("%d requests for a 400, want 1 (no retry)", n)
	}
	assertNoRequestBody(t, err)
}

func TestCreatePayment503ThenOKRetriesWithSameIdempotencyKey(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			answer(http.StatusServiceUnavailable, `{"code":"SYSTEM_ERROR","message":"busy"}`)(n, w, r)
			return
		}
		answer(http.StatusOK, okAnswer)(n, w, r)
	})
	p := newHTTP(t, f.URL, 2, time.Second)

	in, err := p.CreatePayment(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	if in.ProviderRef != "wx2611290000000000000001" {
		t.Fatalf("intent = %+v", *in)
	}
	got := f.Requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	k1, k2 := got[0].Header.Get("Idempotency-Key"), got[1].Header.Get("Idempotency-Key")
	if k1 != "TX2026112900000001" || k2 != k1 {
		t.Fatalf("Idempotency-Keys %q, %q; want both TX2026112900000001", k1, k2)
	}
	if string(got[0].Body) != string(got[1].Body) {
		t.Fatalf("retry sent another body:\n%s\n%s", string(got[0].Body), string(got[1].Body))
	}
	if got[0].Header.Get("X-Pay-Nonce") == got[1].Header.Get("X-Pay-Nonce") {
		t.Fatal("retry reused the nonce; the provider would refuse it as a replay")
	}
}

func TestCreatePayment5xxExhaustsRetries(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       partner.Error
	}{
		{"provider JSON", `{"code":"SYSTEM_ERROR","message":"try later"}`, 500, partner.Error{Partner: "payment provider", Status: 500, Code: "SYSTEM_ERROR", Message: "try later", Retryable: true}},
		{"proxy page", `<html>502 Bad Gateway</html>`, 502, partner.Error{Partner: "payment provider", Status: 502, Retryable: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, answer(tc.status, tc.body))
			p := newHTTP(t, f.URL, 2, time.Second)
			_, err := p.CreatePayment(context.Background(), validRequest())
			var pe *partner.Error
			if !errors.As(err, &pe) || *pe != tc.want {
				t.Fatalf("error = %v, want %+v", err, tc.want)
			}
			if n := len(f.Requests()); n != 3 {
				t.Fatalf("%d requests, want 3 (Retries 2)", n)
			}
			if !strings.Contains(err.Error(), "attempt 3 of 3") {
				t.Fatalf("error %q does not say it was the last of 3 attempts", err)
			}
			assertNoRequestBody(t, err)
		})
	}
}

func TestCreatePaymentTimesOutPerAttempt(t *testing.T) {
	f := newFake(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	p := newHTTP(t, f.URL, 2, 50*time.Millisecond)

	start := time.Now()
	in, err := p.CreatePayment(context.Background(), validRequest())
	elapsed := time.Since(start)
	if in != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CreatePayment = %v, %v; want a deadline error", in, err)
	}
	if !strings.Contains(err.Error(), "attempt 3 of 3") {
		t.Fatalf("error %q does not say it was the last of 3 attempts", err)
	}
	if elapsed < 150*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("took %v; want about 3 × 50ms", elapsed)
	}
	assertNoRequestBody(t, err)
	f.Close() // waits for the handlers: the count is final
	got := f.Requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want Retries+1 = 3", len(got))
	}
	for i, r := range got {
		if k := r.Header.Get("Idempotency-Key"); k != "TX2026112900000001" {
			t.Fatalf("request %d Idempotency-Key = %q", i+1, k)
		}
	}
}

func TestCreatePaymentBadSuccessBody(t *testing.T) {
	for _, body := range []string{
		`{not json`,
		``,
		`null`,
		`[1,2]`,
		`{"prepay_id":123,"pay_url":"https://pay.example.com/x"}`,
		`{"pay_url":"https://pay.example.com/x"}`,
		`{"prepay_id":"wx1"}`,
		`{"prepay_id":"wx1","pay_url":"javascript:alert(1)"}`,
		`{"prepay_id":"wx1","pay_url":"/relative"}`,
	} {
		t.Run(body, func(t *testing.T) {
			f := newFake(t, answer(http.StatusOK, body))
			p := newHTTP(t, f.URL, 2, time.Second)
			in, err := p.CreatePayment(context.Background(), validRequest())
			if in != nil || !errors.Is(err, payment.ErrBadResponse) {
				t.Fatalf("CreatePayment = %v, %v; want ErrBadResponse", in, err)
			}
			if n := len(f.Requests()); n != 1 {
				t.Fatalf("%d requests, want 1: the provider answered, a retry would not change that", n)
			}
		})
	}
}

func TestCreatePaymentRefusesInvalidRequests(t *testing.T) {
	f := newFake(t, answer(http.StatusOK, okAnswer))
	p := newHTTP(t, f.URL, 2, time.Second)
	sandbox := payment.NewSandbox("sandbox", []byte(testSecret), "http://localhost:8080/sandbox/pay")
	for _, tc := range []struct {
		name string
		edit func(*payment.Request)
	}{
		{"empty order number", func(r *payment.Request) { r.OrderNo = "" }},
		{"short order number", func(r *payment.Request) { r.OrderNo = "TX1" }},
		{"long order number", func(r *payment.Request) { r.OrderNo = strings.Repeat("9", 33) }},
		{"order number with header syntax", func(r *payment.Request) { r.OrderNo = "TX2026\r\nX-Evil: 1" }},
		{"zero amount", func(r *payment.Request) { r.AmountFen = 0 }},
		{"negative amount", func(r *payment.Request) { r.AmountFen = -100 }},
		{"empty description", func(r *payment.Request) { r.Description = "  " }},
		{"129-byte description", func(r *payment.Request) { r.Description = strings.Repeat("a", 129) }},
		{"invalid UTF-8", func(r *payment.Request) { r.Description = "教材\xff" }},
		{"control character", func(r *payment.Request) { r.Description = "教材\n收货人" }},
		{"phone number in description", func(r *payment.Request) { r.Description = "教材 联系13812345678" }},
		{"ID number in description", func(r *payment.Request) { r.Description = "教材 11010519491231002X" }},
		{"relative notify URL", func(r *payment.Request) { r.NotifyURL = "/payment/notify" }},
		{"notify URL with credentials", func(r *payment.Request) { r.NotifyURL = "https://u:p@api.tongxue.example/notify" }},
		{"notify URL not http", func(r *payment.Request) { r.NotifyURL = "ftp://api.tongxue.example/notify" }},
		{"long notify URL", func(r *payment.Request) { r.NotifyURL = "https://api.tongxue.example/" + strings.Repeat("a", 250) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest()
			tc.edit(&r)
			if _, err := p.CreatePayment(context.Background(), r); !errors.Is(err, payment.ErrInvalidRequest) {
				t.Fatalf("HTTP: error = %v, want ErrInvalidRequest", err)
			}
			if _, err := sandbox.CreatePayment(context.Background(), r); !errors.Is(err, payment.ErrInvalidRequest) {
				t.Fatalf("sandbox: error = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := len(f.Requests()); n != 0 {
		t.Fatalf("%d invalid requests reached the provider", n)
	}
}

func TestValidateAcceptsOrdinaryGoods(t *testing.T) {
	for _, d := range []string{
		"同学商城-高等数学教材 ×1",
		"教材 ISBN 9787040396638 ×2",
		"奶茶 2 杯 ¥25.90",
		strings.Repeat("书", 42), // 126 bytes
	} {
		r := validRequest()
		r.Description = d
		if err := r.Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", d, err)
		}
	}
}

func TestNewHTTPChecksConfig(t *testing.T) {
	good := payment.HTTPConfig{Name: "wechat", BaseURL: "https://api.pay.example.com", AppID: testMchID, Secret: testSecret}
	for name, edit := range map[string]func(*payment.HTTPConfig){
		"empty secret":   func(c *payment.HTTPConfig) { c.Secret = "" },
		"empty merchant": func(c *payment.HTTPConfig) { c.AppID = "" },
		"empty name":     func(c *payment.HTTPConfig) { c.Name = "" },
	} {
		c := good
		edit(&c)
		if p, err := payment.NewHTTP(c); err == nil || p != nil {
			t.Errorf("%s: NewHTTP = %v, %v; want an error", name, p, err)
		}
	}
	partnertest.CheckConfigs(t, good, func(cfg partner.Config) error { _, err := payment.NewHTTP(cfg); return err })
}

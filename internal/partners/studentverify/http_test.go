package studentverify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
)

const (
	appID  = "tongxue-test"
	secret = "s3cret-key-for-tests"
)

// call is one request the fake service received.
type call struct {
	requestID string
	nonce     string
}

// fakeService plays the verification service: it checks every request the
// way the real one would (signature, timestamp, fresh nonce, exactly the
// five fields) and answers with respond(n) for the n-th attempt (0-based).
type fakeService struct {
	*partnertest.Server
	want studentverify.Request // the normalised request expected
}

func newFake(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *fakeService {
	t.Helper()
	f := &fakeService{want: studentverify.Normalize(validRequest())}
	f.Server = partnertest.New(t, partnertest.Options{Check: f.check, Nonce: "X-Nonce"},
		func(n int, w http.ResponseWriter, r *http.Request, _ []byte) { respond(n, w, r) })
	return f
}

// check returns what the service would refuse in r, or "".
func (f *fakeService) check(r *http.Request, body []byte) string {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/student-verifications" {
		return r.Method + " " + r.URL.Path + "; want POST /v1/student-verifications"
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return "Content-Type " + ct
	}
	if got := r.Header.Get("X-App-Id"); got != appID {
		return "X-App-Id " + got
	}
	ts := r.Header.Get("X-Timestamp")
	if problem := partnertest.CheckTimestamp("X-Timestamp", ts, time.Now(), 5*time.Minute); problem != "" {
		return problem
	}
	nonce, reqID := r.Header.Get("X-Nonce"), r.Header.Get("X-Request-Id")
	if len(nonce) < 16 || len(reqID) < 16 {
		return fmt.Sprintf("X-Nonce %q, X-Request-Id %q: too short", nonce, reqID)
	}
	// The signature, computed independently of the client.
	if want, got := partnertest.HMACHex(secret, appID+"\n"+ts+"\n"+nonce+"\n"+partnertest.SHA256Hex(body)), r.Header.Get("X-Signature"); got != want {
		return fmt.Sprintf("X-Signature %q; want %q", got, want)
	}
	// Exactly the five fields, with the expected values.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return "body is not a JSON object: " + err.Error()
	}
	if keys := slices.Sorted(maps.Keys(fields)); !slices.Equal(keys, []string{"card_photo", "chsi_code", "id_number", "name", "school"}) {
		return fmt.Sprintf("body fields %v; want exactly card_photo, chsi_code, id_number, name, school", keys)
	}
	var got struct {
		Name, IDNumber, School, CHSICode, CardPhoto string
	}
	for k, dst := range map[string]*string{"name": &got.Name, "id_number": &got.IDNumber, "school": &got.School,
		"chsi_code": &got.CHSICode, "card_photo": &got.CardPhoto} {
		if err := json.Unmarshal(fields[k], dst); err != nil {
			return "field " + k + " is not a string"
		}
	}
	if photo, err := base64.StdEncoding.DecodeString(got.CardPhoto); err != nil || !bytes.Equal(photo, f.want.CardPhoto) {
		return "card_photo is not the base64 of the photo"
	}
	if got.Name != f.want.Name || got.IDNumber != f.want.IDNumber || got.School != f.want.School || got.CHSICode != f.want.CHSICode {
		return fmt.Sprintf("body %+v; want %+v", got, f.want)
	}
	return ""
}

func (f *fakeService) Calls() []call {
	var cs []call
	for _, r := range f.Requests() {
		cs = append(cs, call{requestID: r.Header.Get("X-Request-Id"), nonce: r.Header.Get("X-Nonce")})
	}
	return cs
}

func (f *fakeService) client(t *testing.T, mod func(*studentverify.HTTPConfig)) *studentverify.HTTPClient {
	t.Helper()
	return newClient(t, f.URL, mod)
}

func newClient(t *testing.T, base string, mod func(*studentverify.HTTPConfig)) *studentverify.HTTPClient {
	t.Helper()
	cfg := studentverify.HTTPConfig{
		BaseURL: base, AppID: appID, Secret: secret,
		Timeout: 2 * time.Second, Retries: 2, Backoff: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := studentverify.NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func reply(status int, body string) func(int, http.ResponseWriter, *http.Request) {
	r := partnertest.Reply(status, body)
	return func(n int, w http.ResponseWriter, req *http.Request) { r(n, w, req, nil) }
}

// TestHTTPClient runs what every partner client owes on Verify.
func TestHTTPClient(t *testing.T) {
	partnertest.ClientTests(t, partnertest.Subject{
		Fake: func(t *testing.T, respond partnertest.Respond) *partnertest.Server {
			return newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { respond(n, w, r, nil) }).Server
		},
		Reply: partnertest.Reply,
		ErrorBody: func(code, message string) string {
			return `{"error": {"code": "` + code + `", "message": "` + message + `"}}`
		},
		Call: func(ctx context.Context, t *testing.T, base string, edit func(*partner.Config)) error {
			_, err := newClient(t, base, edit).Verify(ctx, validRequest())
			return err
		},
	})
}

func TestHTTPVerified(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true, "reason": "", "ref": "CHSI-2026-0001", "enrolled_until": "2027-07-01", "extra": 1}`))
	res, err := f.client(t, nil).Verify(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	if !res.Verified || res.Reason != "" || res.Ref != "CHSI-2026-0001" || res.EnrolledUntil == nil || !res.EnrolledUntil.Equal(want) {
		t.Fatalf("Verify = %+v", res)
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

func TestHTTPSendsNormalisedFields(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true, "ref": "r"}`))
	r := validRequest()
	r.Name, r.School = "  "+r.Name+" ", "\t"+r.School
	r.IDNumber = " " + strings.ToLower(r.IDNumber) + " "
	r.CHSICode = strings.ToLower(r.CHSICode) + " "
	// The fake compares with the normalised request.
	if _, err := f.client(t, nil).Verify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPNotVerified(t *testing.T) {
	for _, tc := range []struct {
		body, reason string
	}{
		{`{"verified": false, "reason": "NAME_MISMATCH", "ref": "r1", "enrolled_until": null}`, studentverify.ReasonNameMismatch},
		{`{"verified": false, "reason": "CODE_INVALID", "ref": "r2"}`, studentverify.ReasonCodeInvalid},
		{`{"verified": false, "reason": "CODE_EXPIRED", "ref": "r3"}`, studentverify.ReasonCodeExpired},
		{`{"verified": false, "reason": "SCHOOL_MISMATCH", "ref": "r4"}`, studentverify.ReasonSchoolMismatch},
		{`{"verified": false, "reason": "NOT_ENROLLED", "ref": "r5"}`, studentverify.ReasonNotEnrolled},
		{`{"verified": false, "reason": "PHOTO_UNREADABLE", "ref": "r6"}`, "PHOTO_UNREADABLE"},
		{`{"verified": false, "ref": "r7"}`, studentverify.ReasonUnknown},
		{`{"verified": false, "reason": "name 张三丰 does not match", "ref": "r8"}`, studentverify.ReasonUnknown},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			f := newFake(t, reply(200, tc.body))
			res, err := f.client(t, nil).Verify(context.Background(), validRequest())
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.Reason != tc.reason || res.Ref == "" || res.EnrolledUntil != nil {
				t.Fatalf("Verify = %+v; want not verified, reason %s", res, tc.reason)
			}
		})
	}
}

func TestHTTPBadRequestIsNotRetried(t *testing.T) {
	f := newFake(t, reply(400, `{"error": {"code": "INVALID_ARGUMENT", "message": "chsi_code has expired format"}}`))
	_, err := f.client(t, nil).Verify(context.Background(), validRequest())
	var se *partner.Error
	if !errors.As(err, &se) {
		t.Fatalf("Verify = %v; want a *ServiceError", err)
	}
	if se.Status != 400 || se.Code != "INVALID_ARGUMENT" || se.Message != "chsi_code has expired format" {
		t.Fatalf("ServiceError = %+v", se)
	}
	if errors.Is(err, studentverify.ErrUnavailable) {
		t.Fatal("a 400 is reported as unavailable")
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d attempts; a 4xx must not be retried", n)
	}
	assertNoPersonalData(t, err)
}

func TestHTTP502ThenOKIsRetriedWithTheSameRequestID(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			reply(502, `{"error": {"code": "UPSTREAM", "message": "CHSI did not answer"}}`)(n, w, r)
			return
		}
		reply(200, `{"verified": true, "ref": "r", "enrolled_until": "2028-06-30"}`)(n, w, r)
	})
	res, err := f.client(t, nil).Verify(context.Background(), validRequest())
	if err != nil || !res.Verified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	calls := f.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d attempts; want 2", len(calls))
	}
	if calls[0].requestID != calls[1].requestID {
		t.Fatalf("X-Request-Id changed between attempts: %q, %q", calls[0].requestID, calls[1].requestID)
	}
	if calls[0].nonce == calls[1].nonce {
		t.Fatal("the nonce was reused by the retry")
	}
}

func TestHTTPRequestIDsDifferBetweenCalls(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true, "ref": "r"}`))
	c := f.client(t, nil)
	for range 2 {
		if _, err := c.Verify(context.Background(), validRequest()); err != nil {
			t.Fatal(err)
		}
	}
	if calls := f.Calls(); calls[0].requestID == calls[1].requestID {
		t.Fatal("two calls share an X-Request-Id")
	}
}

func TestHTTP5xxUntilRetriesRunOut(t *testing.T) {
	f := newFake(t, reply(503, `{"error": {"code": "MAINTENANCE", "message": "back soon"}}`))
	_, err := f.client(t, func(c *studentverify.HTTPConfig) { c.Retries = 3 }).Verify(context.Background(), validRequest())
	if !errors.Is(err, studentverify.ErrUnavailable) {
		t.Fatalf("Verify = %v; want ErrUnavailable", err)
	}
	var se *partner.Error
	if !errors.As(err, &se) || se.Status != 503 || se.Code != "MAINTENANCE" {
		t.Fatalf("Verify = %v; want the last ServiceError", err)
	}
	calls := f.Calls()
	if len(calls) != 4 {
		t.Fatalf("%d attempts; want Retries+1 = 4", len(calls))
	}
	for _, c := range calls {
		if c.requestID != calls[0].requestID {
			t.Fatal("X-Request-Id changed between attempts")
		}
	}
	assertNoPersonalData(t, err)
}

func TestHTTPErrorBodyThatIsNotJSON(t *testing.T) {
	f := newFake(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
	})
	_, err := f.client(t, func(c *studentverify.HTTPConfig) { c.Retries = 0 }).Verify(context.Background(), validRequest())
	var se *partner.Error
	if !errors.As(err, &se) || se.Status != 502 || se.Code != "" || se.Message != "" {
		t.Fatalf("Verify = %v", err)
	}
	if !errors.Is(err, studentverify.ErrUnavailable) || len(f.Calls()) != 1 {
		t.Fatalf("Verify = %v after %d attempts; want ErrUnavailable after 1", err, len(f.Calls()))
	}
}

func TestHTTPSlowServerTimesOutAfterEveryAttempt(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { partnertest.Hang(n, w, r, nil) })
	c := f.client(t, func(c *studentverify.HTTPConfig) { c.Timeout, c.Retries = 100*time.Millisecond, 2 })
	start := time.Now()
	_, err := c.Verify(context.Background(), validRequest())
	elapsed := time.Since(start)
	if !errors.Is(err, studentverify.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify = %v; want ErrUnavailable wrapping a deadline", err)
	}
	if n := len(f.Calls()); n != 3 {
		t.Fatalf("%d attempts; want Retries+1 = 3", n)
	}
	if elapsed < 300*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("took %v; want about 3 × 100 ms", elapsed)
	}
	assertNoPersonalData(t, err)
}

func TestHTTPSlowBodyTimesOut(t *testing.T) {
	// Headers come at once, the body never: the attempt's timeout covers it.
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 0 {
			reply(200, `{"verified": true, "ref": "r"}`)(n, w, r)
			return
		}
		partnertest.HangMidBody(w, r, `{"verified": `)
	})
	c := f.client(t, func(c *studentverify.HTTPConfig) { c.Timeout = 100 * time.Millisecond })
	res, err := c.Verify(context.Background(), validRequest())
	if err != nil || !res.Verified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if calls := f.Calls(); len(calls) != 2 || calls[0].requestID != calls[1].requestID {
		t.Fatalf("calls %+v; want 2 with the same request id", calls)
	}
}

func TestHTTPDroppedConnectionIsRetried(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			partnertest.Drop(t, w)
			return
		}
		reply(200, `{"verified": true, "ref": "r"}`)(n, w, r)
	})
	res, err := f.client(t, nil).Verify(context.Background(), validRequest())
	if err != nil || !res.Verified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if calls := f.Calls(); len(calls) != 2 || calls[0].requestID != calls[1].requestID {
		t.Fatalf("calls %+v; want 2 with the same request id", calls)
	}
}

func TestHTTPUnreachableService(t *testing.T) {
	c, err := studentverify.NewHTTP(studentverify.HTTPConfig{BaseURL: partnertest.Unreachable(t), AppID: appID, Secret: secret,
		Timeout: time.Second, Retries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Verify(context.Background(), validRequest())
	if !errors.Is(err, studentverify.ErrUnavailable) {
		t.Fatalf("Verify = %v; want ErrUnavailable", err)
	}
	assertNoPersonalData(t, err)
}

func TestHTTPBadJSONIsAnErrorAndNotRetried(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":             `verified=true`,
		"truncated":            `{"verified": tr`,
		"array":                `[true]`,
		"no verified":          `{"reason": "", "ref": "r"}`,
		"verified not boolean": `{"verified": "yes"}`,
		"verified null":        `{"verified": null}`,
		"date not ISO":         `{"verified": true, "enrolled_until": "01/07/2027"}`,
		"date not real":        `{"verified": true, "enrolled_until": "2027-02-30"}`,
		"date with time":       `{"verified": true, "enrolled_until": "2027-07-01T00:00:00Z"}`,
		"ref with newline":     `{"verified": true, "ref": "a\nb"}`,
		"ref too long":         `{"verified": true, "ref": "` + strings.Repeat("r", 129) + `"}`,
		"too long":             `{"verified": true, "ref": "r", "pad": "` + strings.Repeat(" ", 70<<10) + `"}`,
		"empty":                ``,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, reply(200, body))
			res, err := f.client(t, nil).Verify(context.Background(), validRequest())
			if !errors.Is(err, studentverify.ErrBadResponse) || res != nil {
				t.Fatalf("Verify = %+v, %v; want ErrBadResponse", res, err)
			}
			if n := len(f.Calls()); n != 1 {
				t.Fatalf("%d attempts; a malformed answer is not retried", n)
			}
			assertNoPersonalData(t, err)
		})
	}
}

// TestHTTPErrorsNeverContainPersonalData has the service echo the request
// in its error messages and codes.
func TestHTTPErrorsNeverContainPersonalData(t *testing.T) {
	r := studentverify.Normalize(validRequest())
	echo := fmt.Sprintf("name %s id %s (%s) school %s code %s photo %s birth %s",
		r.Name, r.IDNumber, strings.ToLower(r.IDNumber), r.School, strings.ToLower(r.CHSICode),
		base64.StdEncoding.EncodeToString(r.CardPhoto), r.IDNumber[6:14])
	errorBody, _ := json.Marshal(map[string]any{"error": map[string]string{"code": r.IDNumber, "message": echo}})
	for _, status := range []int{400, 500} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newFake(t, reply(status, string(errorBody)))
			_, err := f.client(t, nil).Verify(context.Background(), validRequest())
			var se *partner.Error
			if !errors.As(err, &se) {
				t.Fatalf("Verify = %v", err)
			}
			if se.Code != "" {
				t.Errorf("Code = %q; an ID number is not a code", se.Code)
			}
			assertNoPersonalData(t, err)
			assertNoPersonalData(t, errors.New(se.Message))
			if !strings.Contains(se.Message, "name *** id ***") {
				t.Errorf("Message = %q; want the rest of the message kept", se.Message)
			}
		})
	}
}

func TestHTTPMalformedRequestIsNotSent(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true}`))
	r := validRequest()
	r.CHSICode = "SHORT"
	_, err := f.client(t, nil).Verify(context.Background(), r)
	var ie *studentverify.InputError
	if !errors.As(err, &ie) || ie.Field != studentverify.FieldCHSICode {
		t.Fatalf("Verify = %v; want an InputError about chsiCode", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls for a malformed request", n)
	}
}

func TestHTTPBaseURLWithPath(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		_, _ = io.WriteString(w, `{"verified": true, "ref": "r"}`)
	}))
	defer srv.Close()
	c, err := studentverify.NewHTTP(studentverify.HTTPConfig{BaseURL: srv.URL + "/api/", AppID: appID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(context.Background(), validRequest()); err != nil {
		t.Fatal(err)
	}
	if path != "/api/v1/student-verifications" {
		t.Fatalf("path %q", path)
	}
	if c.Name() != studentverify.DefaultName {
		t.Fatalf("Name = %q", c.Name())
	}
}

func TestHTTPConcurrentCalls(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true, "ref": "r"}`))
	c := f.client(t, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Verify(context.Background(), validRequest()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, c := range f.Calls() {
		ids[c.requestID] = true
	}
	if len(ids) != 20 {
		t.Fatalf("%d distinct request ids for 20 calls", len(ids))
	}
}

func TestNewHTTPRefusesBadConfig(t *testing.T) {
	ok := studentverify.HTTPConfig{BaseURL: "https://verify.example.com", AppID: appID, Secret: secret}
	if c, err := studentverify.NewHTTP(ok); err != nil || c.Name() != "http" {
		t.Fatalf("NewHTTP(ok) = %v, %v", c, err)
	}
	named := ok
	named.Name = "chsi-partner"
	if c, err := studentverify.NewHTTP(named); err != nil || c.Name() != "chsi-partner" {
		t.Fatalf("NewHTTP(named) = %v, %v", c, err)
	}
	partnertest.CheckConfigs(t, named, func(cfg partner.Config) error { _, err := studentverify.NewHTTP(cfg); return err })
}

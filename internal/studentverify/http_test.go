package studentverify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

	"github.com/tongxue/tongxue/internal/studentverify"
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
	t       *testing.T
	want    studentverify.Request // the normalised request expected
	respond func(n int, w http.ResponseWriter, r *http.Request)

	mu     sync.Mutex
	calls  []call
	nonces map[string]bool
	srv    *httptest.Server
}

func newFake(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *fakeService {
	t.Helper()
	f := &fakeService{t: t, want: studentverify.Normalize(validRequest()), respond: respond, nonces: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	t := f.t
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading the body: %v", err)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/student-verifications" {
		t.Errorf("%s %s; want POST /v1/student-verifications", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := r.Header.Get("X-App-Id"); got != appID {
		t.Errorf("X-App-Id %q", got)
	}
	ts := r.Header.Get("X-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Errorf("X-Timestamp %q is not the current unix time", ts)
	}
	nonce, reqID := r.Header.Get("X-Nonce"), r.Header.Get("X-Request-Id")
	if len(nonce) < 16 || len(reqID) < 16 {
		t.Errorf("X-Nonce %q, X-Request-Id %q: too short", nonce, reqID)
	}
	// The signature, computed independently of the client.
	bodySum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(appID + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(bodySum[:])))
	wantSig := hex.EncodeToString(m.Sum(nil))
	if got := r.Header.Get("X-Signature"); got != wantSig {
		t.Errorf("X-Signature %q; want %q", got, wantSig)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	// Exactly the five fields, with the expected values.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Errorf("body is not a JSON object: %v", err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"card_photo", "chsi_code", "id_number", "name", "school"}; !slices.Equal(keys, want) {
		t.Errorf("body fields %v; want exactly %v", keys, want)
	}
	var got struct {
		Name, IDNumber, School, CHSICode, CardPhoto string
	}
	for k, dst := range map[string]*string{"name": &got.Name, "id_number": &got.IDNumber, "school": &got.School,
		"chsi_code": &got.CHSICode, "card_photo": &got.CardPhoto} {
		if err := json.Unmarshal(fields[k], dst); err != nil {
			t.Errorf("field %s is not a string: %v", k, err)
		}
	}
	photo, err := base64.StdEncoding.DecodeString(got.CardPhoto)
	if err != nil || !bytes.Equal(photo, f.want.CardPhoto) {
		t.Errorf("card_photo is not the base64 of the photo (%v)", err)
	}
	if got.Name != f.want.Name || got.IDNumber != f.want.IDNumber || got.School != f.want.School || got.CHSICode != f.want.CHSICode {
		t.Errorf("body %+v; want %+v", got, f.want)
	}

	f.mu.Lock()
	if f.nonces[nonce] {
		t.Errorf("nonce %q used twice", nonce)
	}
	f.nonces[nonce] = true
	n := len(f.calls)
	f.calls = append(f.calls, call{requestID: reqID, nonce: nonce})
	f.mu.Unlock()
	f.respond(n, w, r)
}

func (f *fakeService) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeService) client(t *testing.T, mod func(*studentverify.HTTPConfig)) *studentverify.HTTP {
	t.Helper()
	cfg := studentverify.HTTPConfig{
		BaseURL: f.srv.URL, AppID: appID, Secret: secret,
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
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
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
	var se *studentverify.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("Verify = %v; want a *ServiceError", err)
	}
	if se.HTTPStatus != 400 || se.Code != "INVALID_ARGUMENT" || se.Message != "chsi_code has expired format" {
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

func TestHTTPOther4xxAreNotRetried(t *testing.T) {
	for _, status := range []int{401, 403, 404, 409, 422, 429} {
		f := newFake(t, reply(status, `{"error": {"code": "NOPE", "message": "no"}}`))
		_, err := f.client(t, nil).Verify(context.Background(), validRequest())
		var se *studentverify.ServiceError
		if !errors.As(err, &se) || se.HTTPStatus != status {
			t.Fatalf("HTTP %d: Verify = %v", status, err)
		}
		if n := len(f.Calls()); n != 1 {
			t.Fatalf("HTTP %d: %d attempts", status, n)
		}
	}
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
	var se *studentverify.ServiceError
	if !errors.As(err, &se) || se.HTTPStatus != 503 || se.Code != "MAINTENANCE" {
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
	var se *studentverify.ServiceError
	if !errors.As(err, &se) || se.HTTPStatus != 502 || se.Code != "" || se.Message != "" {
		t.Fatalf("Verify = %v", err)
	}
	if !errors.Is(err, studentverify.ErrUnavailable) || len(f.Calls()) != 1 {
		t.Fatalf("Verify = %v after %d attempts; want ErrUnavailable after 1", err, len(f.Calls()))
	}
}

func TestHTTPSlowServerTimesOutAfterEveryAttempt(t *testing.T) {
	f := newFake(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
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
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"verified": `)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
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
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
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
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c, err := studentverify.NewHTTP(studentverify.HTTPConfig{BaseURL: base, AppID: appID, Secret: secret,
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
			var se *studentverify.ServiceError
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

func TestHTTPRedirectIsNotFollowed(t *testing.T) {
	var elsewhere int
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
	}))
	defer other.Close()
	f := newFake(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/student-verifications", http.StatusTemporaryRedirect)
	})
	// Even with a client whose policy follows redirects.
	c := f.client(t, func(c *studentverify.HTTPConfig) { c.Client = &http.Client{} })
	_, err := c.Verify(context.Background(), validRequest())
	var se *studentverify.ServiceError
	if !errors.As(err, &se) || se.HTTPStatus != http.StatusTemporaryRedirect {
		t.Fatalf("Verify = %v; want a ServiceError 307", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if elsewhere != 0 || len(f.Calls()) != 1 {
		t.Fatalf("the redirect was followed (%d) or retried (%d)", elsewhere, len(f.Calls()))
	}
}

func TestHTTPCallerDeadlineStopsRetries(t *testing.T) {
	f := newFake(t, reply(503, `{}`))
	c := f.client(t, func(c *studentverify.HTTPConfig) { c.Retries, c.Backoff = 5, 10*time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Verify(ctx, validRequest())
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("Verify = %v after %v; want the caller's deadline, promptly", err, time.Since(start))
	}
	var se *studentverify.ServiceError
	if !errors.As(err, &se) || se.HTTPStatus != 503 {
		t.Fatalf("Verify = %v; want the last failure kept", err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

func TestHTTPCancelledBeforeTheCall(t *testing.T) {
	f := newFake(t, reply(200, `{"verified": true}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client(t, nil).Verify(ctx, validRequest())
	if !errors.Is(err, context.Canceled) || errors.Is(err, studentverify.ErrUnavailable) {
		t.Fatalf("Verify = %v; want context.Canceled", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
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
	for name, mod := range map[string]func(*studentverify.HTTPConfig){
		"empty URL":          func(c *studentverify.HTTPConfig) { c.BaseURL = "" },
		"relative URL":       func(c *studentverify.HTTPConfig) { c.BaseURL = "/v1" },
		"plain http":         func(c *studentverify.HTTPConfig) { c.BaseURL = "http://verify.example.com" },
		"other scheme":       func(c *studentverify.HTTPConfig) { c.BaseURL = "ftp://verify.example.com" },
		"user info":          func(c *studentverify.HTTPConfig) { c.BaseURL = "https://u:p@verify.example.com" },
		"query":              func(c *studentverify.HTTPConfig) { c.BaseURL = "https://verify.example.com/?k=v" },
		"no app id":          func(c *studentverify.HTTPConfig) { c.AppID = "" },
		"app id with space":  func(c *studentverify.HTTPConfig) { c.AppID = "a b" },
		"app id newline":     func(c *studentverify.HTTPConfig) { c.AppID = "a\nb" },
		"no secret":          func(c *studentverify.HTTPConfig) { c.Secret = "" },
		"negative retries":   func(c *studentverify.HTTPConfig) { c.Retries = -1 },
		"negative timeout":   func(c *studentverify.HTTPConfig) { c.Timeout = -time.Second },
		"negative backoff":   func(c *studentverify.HTTPConfig) { c.Backoff = -time.Second },
		"unparseable URL":    func(c *studentverify.HTTPConfig) { c.BaseURL = "https://[::1" },
		"http to other host": func(c *studentverify.HTTPConfig) { c.BaseURL = "http://10.0.0.1:8080" },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := studentverify.NewHTTP(cfg); err == nil {
			t.Errorf("%s: NewHTTP accepted it", name)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error %q shows the secret", name, err)
		}
	}
	for _, base := range []string{"http://127.0.0.1:8080", "http://localhost:9000/base", "http://[::1]:80"} {
		cfg := ok
		cfg.BaseURL = base
		if _, err := studentverify.NewHTTP(cfg); err != nil {
			t.Errorf("NewHTTP(%s): %v", base, err)
		}
	}
}

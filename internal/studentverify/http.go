package studentverify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	crand "crypto/rand"

	"github.com/tongxue/tongxue/internal/partner"
)

// Path is the verification endpoint, relative to HTTPConfig.BaseURL.
const Path = "/v1/student-verifications"

// Defaults of HTTPConfig.
const (
	DefaultTimeout = 10 * time.Second
	DefaultBackoff = 200 * time.Millisecond
	MaxBackoff     = partner.MaxBackoff
	DefaultName    = "http"
)

// maxResponseBytes bounds what is read of a response.
const maxResponseBytes = 64 << 10

// HTTPConfig configures the client of the verification service.
type HTTPConfig struct {
	// BaseURL of the service, e.g. "https://verify.example.com". It must be
	// https; plain http is accepted only for loopback hosts (local mocks).
	BaseURL string
	AppID   string // sent as X-App-Id
	Secret  string // HMAC-SHA256 key of X-Signature
	// Name identifies the provider in audit records; default "http".
	Name string
	// Timeout bounds each attempt, response body included; default 10 s.
	Timeout time.Duration
	// Retries is how many more attempts follow a network error, a timeout or
	// a 5xx answer; 0 means one attempt only. 4xx answers and malformed
	// responses are never retried. Every attempt carries the same
	// X-Request-Id, so the service can recognise repeats.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next one
	// up to MaxBackoff, with up to half of it taken off at random; default
	// 200 ms.
	Backoff time.Duration
	// Client sends the requests; nil means a client of its own. Redirects
	// are never followed, whatever the client's policy: the body holds
	// personal data meant for the service only.
	Client *http.Client
	// Now is the clock of X-Timestamp and of ID-number checks; nil means
	// time.Now.
	Now func() time.Time
}

// HTTP is the client of the verification service's HTTP API:
//
//	POST {BaseURL}/v1/student-verifications
//	X-App-Id, X-Timestamp (unix seconds), X-Nonce, X-Request-Id,
//	X-Signature: hex(HMAC-SHA256(secret, appId+"\n"+timestamp+"\n"+nonce+"\n"+hex(SHA-256(body))))
//	{"name","id_number","school","chsi_code","card_photo" (base64)}
//
// 200 answers {"verified","reason","ref","enrolled_until" ("YYYY-MM-DD" or
// null)}; errors answer {"error":{"code","message"}}.
type HTTP struct {
	name     string
	endpoint string
	appID    string
	secret   []byte
	timeout  time.Duration
	retries  int
	backoff  time.Duration
	client   *http.Client
	now      func() time.Time
}

// ErrUnavailable is wrapped by the error of a call whose every attempt
// failed with a network error, a timeout or a 5xx answer.
var ErrUnavailable = errors.New("student verification: the service is unavailable")

// ErrBadResponse is wrapped by the error of a 200 answer that cannot be
// read. It is not retried.
var ErrBadResponse = errors.New("student verification: the service's answer is malformed")

// ServiceError is a 4xx or 5xx answer (or a 3xx: redirects are not
// followed). Code and Message come from the service's error body, if it had
// one, with anything that looks like the request's personal data replaced
// by "***".
type ServiceError struct {
	HTTPStatus int
	Code       string
	Message    string
}

func (e *ServiceError) Error() string {
	s := "student verification service: HTTP " + strconv.Itoa(e.HTTPStatus)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// NewHTTP checks cfg and returns a client.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	base, err := partner.BaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("studentverify: %w", err)
	}
	if !partner.ValidAppID(cfg.AppID) {
		return nil, errors.New("studentverify: AppID must be non-empty printable ASCII without spaces")
	}
	if cfg.Secret == "" {
		return nil, errors.New("studentverify: Secret is empty")
	}
	if cfg.Timeout < 0 || cfg.Retries < 0 || cfg.Backoff < 0 {
		return nil, errors.New("studentverify: Timeout, Retries and Backoff must not be negative")
	}
	c := &HTTP{
		name:     cmp.Or(cfg.Name, DefaultName),
		endpoint: base + Path,
		appID:    cfg.AppID,
		secret:   []byte(cfg.Secret),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		retries:  cfg.Retries,
		backoff:  cmp.Or(cfg.Backoff, DefaultBackoff),
		now:      cfg.Now,
		client:   partner.Client(cfg.Client),
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Name is HTTPConfig.Name.
func (c *HTTP) Name() string { return c.name }

// wireRequest is the body: exactly these fields, nothing else.
type wireRequest struct {
	Name      string `json:"name"`
	IDNumber  string `json:"id_number"`
	School    string `json:"school"`
	CHSICode  string `json:"chsi_code"`
	CardPhoto []byte `json:"card_photo"` // standard base64
}

type wireResult struct {
	Verified      *bool   `json:"verified"`
	Reason        string  `json:"reason"`
	Ref           string  `json:"ref"`
	EnrolledUntil *string `json:"enrolled_until"`
}

type wireError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Verify normalises and checks r (an *InputError is returned without any
// call), then posts it, retrying as HTTPConfig says.
func (c *HTTP) Verify(ctx context.Context, r Request) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("student verification: %w", err)
	}
	r = Normalize(r)
	if err := Check(r, c.now()); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wireRequest{
		Name: r.Name, IDNumber: r.IDNumber, School: r.School, CHSICode: r.CHSICode, CardPhoto: r.CardPhoto,
	})
	if err != nil {
		return nil, errors.New("student verification: the request cannot be encoded")
	}
	requestID := randomHex(16)
	res, err := partner.Retry(ctx, c.retries, c.backoff, func() (*Result, bool, error) {
		return c.attempt(ctx, requestID, body, r)
	})
	if errors.Is(err, partner.ErrGaveUp) {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("student verification: %w", err)
	}
	return res, err
}

// attempt makes one call; retry reports whether a failure may be retried.
func (c *HTTP) attempt(ctx context.Context, requestID string, body []byte, r Request) (res *Result, retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, errors.New("student verification: the request cannot be built")
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	nonce := randomHex(16)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tongxue-studentverify/1")
	req.Header.Set("X-App-Id", c.appID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Request-Id", requestID)
	req.Header.Set("X-Signature", sign(c.secret, c.appID, ts, nonce, body))

	resp, err := c.client.Do(req)
	if err != nil {
		// A *url.Error: the method, the URL and the cause, never the body.
		return nil, true, fmt.Errorf("student verification: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, true, fmt.Errorf("student verification: reading the answer (HTTP %d): %w", resp.StatusCode, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		res, err := decodeResult(data)
		return res, false, err
	case resp.StatusCode >= 500:
		return nil, true, serviceError(resp.StatusCode, data, r)
	default:
		return nil, false, serviceError(resp.StatusCode, data, r)
	}
}

// sign is the X-Signature of a request.
func sign(secret []byte, appID, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	_, _ = io.WriteString(m, appID+"\n"+ts+"\n"+nonce+"\n"+hex.EncodeToString(sum[:]))
	return hex.EncodeToString(m.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b) // never fails (crypto/rand.Read panics rather than return an error)
	return hex.EncodeToString(b)
}

// decodeResult reads a 200 answer. Its errors say what is wrong, never
// what the answer held.
func decodeResult(data []byte) (*Result, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadResponse, what) }
	if len(data) > maxResponseBytes {
		return nil, bad("too long")
	}
	var w wireResult
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, bad("not a JSON object of the expected shape")
	}
	if w.Verified == nil {
		return nil, bad(`no "verified" field`)
	}
	if len(w.Ref) > 128 || strings.IndexFunc(w.Ref, func(r rune) bool { return r < ' ' || r > '~' }) >= 0 {
		return nil, bad(`"ref" is too long or not printable ASCII`)
	}
	res := &Result{Verified: *w.Verified, Ref: w.Ref}
	if !res.Verified {
		res.Reason = w.Reason
		if !validReason(res.Reason) {
			res.Reason = ReasonUnknown
		}
	}
	if w.EnrolledUntil != nil {
		t, err := time.Parse(time.DateOnly, *w.EnrolledUntil)
		if err != nil {
			return nil, bad(`"enrolled_until" is not a YYYY-MM-DD date`)
		}
		res.EnrolledUntil = &t
	}
	return res, nil
}

// serviceError reads an error body. What the service says is kept only
// after everything that looks like r's personal data is replaced.
func serviceError(status int, data []byte, r Request) *ServiceError {
	e := &ServiceError{HTTPStatus: status}
	var w wireError
	if json.Unmarshal(data, &w) != nil || w.Error == nil {
		return e
	}
	values := r.personal()
	e.Code = partner.ErrorCode(w.Error.Code, values)
	e.Message = partner.Scrub(w.Error.Message, values)
	return e
}

// personal is what in r identifies the student: never repeated from an
// error body.
func (r Request) personal() []string {
	return []string{r.Name, r.IDNumber, r.School, r.CHSICode, strings.TrimSuffix(r.IDNumber, "X")}
}

var _ Provider = (*HTTP)(nil)
var _ Provider = (*Sandbox)(nil)

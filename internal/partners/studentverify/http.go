package studentverify

import (
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

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Path is the verification endpoint, relative to HTTPConfig.BaseURL.
const Path = "/v1/student-verifications"

// Defaults of HTTPConfig.
const (
	DefaultTimeout = 10 * time.Second
	DefaultName    = "http"
)

// maxResponseBytes bounds what is read of a response.
const maxResponseBytes = 64 << 10

// HTTPConfig configures the client of the verification service (see
// partner.Config): AppID is sent as X-App-Id, Secret is the HMAC-SHA256 key
// of X-Signature, Name identifies the provider in audit records (default
// DefaultName), Timeout defaults to DefaultTimeout, and Now is also the
// clock of ID-number checks. Every attempt of a Verify carries the same
// X-Request-Id, so the service can recognise repeats.
type HTTPConfig = partner.Config

// HTTPClient is the client of the verification service's HTTP API:
//
//	POST {BaseURL}/v1/student-verifications
//	X-App-Id, X-Timestamp (unix seconds), X-Nonce, X-Request-Id,
//	X-Signature: hex(HMAC-SHA256(secret, appId+"\n"+timestamp+"\n"+nonce+"\n"+hex(SHA-256(body))))
//	{"name","id_number","school","chsi_code","card_photo" (base64)}
//
// 200 answers {"verified","reason","ref","enrolled_until" ("YYYY-MM-DD" or
// null)}; errors answer {"error":{"code","message"}}, a *partner.Error.
type HTTPClient struct{ c *partner.Client }

// ErrUnavailable is wrapped by the error of a call whose every attempt
// failed with a network error, a timeout or a 5xx answer.
var ErrUnavailable = partner.ErrGaveUp

// ErrBadResponse is wrapped by the error of a 200 answer that cannot be
// read. It is not retried.
var ErrBadResponse = partner.ErrBadResponse

// NewHTTP checks cfg and returns a client.
func NewHTTP(cfg HTTPConfig) (*HTTPClient, error) {
	cfg.Name = cmp.Or(cfg.Name, DefaultName)
	c, err := partner.New(cfg, partner.Protocol{
		Partner: "student verification service", UserAgent: "tongxue-studentverify/1",
		DefaultTimeout: DefaultTimeout, MaxAnswerBytes: maxResponseBytes,
		Signer: partner.SignRequests(signer{appID: cfg.AppID, secret: []byte(cfg.Secret)}.sign),
	})
	if err != nil {
		return nil, err
	}
	return &HTTPClient{c}, nil
}

// Name is HTTPConfig.Name.
func (c *HTTPClient) Name() string { return c.c.Name() }

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

// Verify normalises and checks r (an *InputError is returned without any
// call), then posts it, retrying as HTTPConfig says.
func (c *HTTPClient) Verify(ctx context.Context, r Request) (*Result, error) {
	const op = "verify"
	if err := ctx.Err(); err != nil {
		return nil, c.c.Fail(op, err)
	}
	r = Normalize(r)
	if err := Check(r, c.c.Now()); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wireRequest{
		Name: r.Name, IDNumber: r.IDNumber, School: r.School, CHSICode: r.CHSICode, CardPhoto: r.CardPhoto,
	})
	if err != nil {
		return nil, c.c.Fail(op, errors.New("the request cannot be encoded"))
	}
	data, err := c.c.Do(ctx, partner.Call{Op: op, Method: http.MethodPost, Target: Path, Body: body,
		Header: http.Header{"X-Request-Id": {randomHex(16)}}, Personal: r.personal()})
	if err != nil {
		return nil, err
	}
	res, err := decodeResult(data)
	if err != nil {
		return nil, c.c.Fail(op, err)
	}
	return res, nil
}

// signer signs requests; the service's answers are not signed.
type signer struct {
	appID  string
	secret []byte
}

// sign sets the app id, a timestamp, a fresh nonce and X-Signature.
func (s signer) sign(req *http.Request, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := randomHex(16)
	req.Header.Set("X-App-Id", s.appID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", signature(s.secret, s.appID, ts, nonce, body))
}

// signature is the X-Signature of a request.
func signature(secret []byte, appID, ts, nonce string, body []byte) string {
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

// personal is what in r identifies the student: never repeated from an
// error body.
func (r Request) personal() []string {
	return []string{r.Name, r.IDNumber, r.School, r.CHSICode, strings.TrimSuffix(r.IDNumber, "X")}
}

var _ Provider = (*HTTPClient)(nil)
var _ Provider = (*Sandbox)(nil)

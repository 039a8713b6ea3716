package partner

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Config is what the environment says about a party's endpoint. The
// partner packages name it HTTPConfig.
type Config struct {
	// Name identifies the party in records ("partner-bank", "chsi",
	// "wechat"): printable, on one line.
	Name string
	// BaseURL of the party's API; see BaseURL. A path prefix is kept
	// ("https://host/api" + "/v2/…").
	BaseURL string
	// AppID is the platform's id at the party (app id, merchant id), as its
	// signature headers carry it; see ValidAppID.
	AppID string
	// Secret is the key of the party's signatures. No error shows it.
	Secret string
	// Timeout bounds each attempt, response body included; 0 means the
	// protocol's DefaultTimeout.
	Timeout time.Duration
	// Retries is how many more attempts follow a network error, a timeout
	// or a 5xx answer; 0 means one attempt only. 3xx and 4xx answers and
	// untrustworthy or malformed ones are never retried. Every attempt
	// carries the same body and Call.Header (the idempotency key), and is
	// signed afresh (a new timestamp and nonce).
	Retries int
	// Backoff is the wait before the first retry, doubled for each next one
	// up to MaxBackoff, with up to half of it taken off at random; 0 means
	// DefaultBackoff.
	Backoff time.Duration
	// Client sends the requests; nil means a client of its own. Redirects
	// are never followed, whatever its policy (see NoRedirects).
	Client *http.Client
	// Now is the clock of signatures and of the party's checks; nil means
	// time.Now.
	Now func() time.Time
}

// DefaultBackoff is Config.Backoff's default.
const DefaultBackoff = 200 * time.Millisecond

// Protocol is what a partner package says about its party: the wire format
// stays there, the Client only carries it.
type Protocol struct {
	// Partner says what the party is, in errors: "bank", "payment
	// provider", "student verification service".
	Partner        string
	UserAgent      string
	DefaultTimeout time.Duration
	// MaxAnswerBytes bounds what is read of an answer.
	MaxAnswerBytes int
	// Signer signs every attempt and authenticates answers.
	Signer Signer
	// ErrorBody reads the code and message of an error answer; nil means
	// NestedErrorBody.
	ErrorBody func(data []byte) (code, message string, ok bool)
}

// Signer is a party's signature scheme.
type Signer interface {
	// Sign sets the party's authentication headers on req, whose body is
	// body. It is called once per attempt: each attempt gets a fresh
	// timestamp and nonce, as replay checks require.
	Sign(req *http.Request, body []byte, now time.Time)
	// Verify authenticates an answer before anything in it is read. It
	// returns an error wrapping ErrUnsigned for an answer that carries no
	// signature at all; a 200 answer must verify, while an unsigned error
	// answer is taken for a gateway's (its status counts, its body is not
	// read).
	Verify(status int, h http.Header, body []byte, now time.Time) error
}

// SignRequests is the Signer of a party that signs requests only: its
// answers are taken as they come (over https).
type SignRequests func(req *http.Request, body []byte, now time.Time)

// Sign calls f.
func (f SignRequests) Sign(req *http.Request, body []byte, now time.Time) { f(req, body, now) }

// Verify accepts every answer.
func (SignRequests) Verify(int, http.Header, []byte, time.Time) error { return nil }

// ErrUnsigned is wrapped by Signer.Verify's error for an answer without any
// signature.
var ErrUnsigned = errors.New("the answer is not signed")

// ErrBadResponse is wrapped by the error of an answer that cannot be
// trusted or read: wrongly signed, stale, too long, or not the expected
// JSON. It is not retried: the party did answer. The partner packages
// export it as their own ErrBadResponse.
var ErrBadResponse = errors.New("the answer is unsigned, wrongly signed or malformed")

// Client is the HTTP client of one party: config, signing, retries, and
// the reading and scrubbing of error answers. Safe for concurrent use.
type Client struct {
	p       Protocol
	name    string
	base    string
	timeout time.Duration
	retries int
	backoff time.Duration
	client  *http.Client
	now     func() time.Time
}

// New checks cfg and returns a client speaking p. Its errors name the
// field and never show the secret.
func New(cfg Config, p Protocol) (*Client, error) {
	bad := func(msg string) error { return fmt.Errorf("%s: %s", p.Partner, msg) }
	base, err := BaseURL(cfg.BaseURL)
	switch {
	case p.Signer == nil || p.MaxAnswerBytes <= 0 || p.Partner == "":
		return nil, errors.New("partner: the protocol needs Partner, Signer and MaxAnswerBytes")
	case err != nil:
		return nil, bad(err.Error())
	case !ValidAppID(cfg.AppID):
		return nil, bad("AppID must be non-empty printable ASCII without spaces")
	case cfg.Secret == "":
		return nil, bad("Secret is empty")
	case strings.TrimSpace(cfg.Name) == "" || strings.IndexFunc(cfg.Name, unicode.IsControl) >= 0:
		return nil, bad("Name must name the party on one line")
	case cfg.Timeout < 0 || cfg.Retries < 0 || cfg.Backoff < 0:
		return nil, bad("Timeout, Retries and Backoff must not be negative")
	}
	c := &Client{
		p:       p,
		name:    cfg.Name,
		base:    base,
		timeout: cmp.Or(cfg.Timeout, p.DefaultTimeout, 10*time.Second),
		retries: cfg.Retries,
		backoff: cmp.Or(cfg.Backoff, DefaultBackoff),
		client:  NoRedirects(cfg.Client),
		now:     cfg.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.p.ErrorBody == nil {
		c.p.ErrorBody = NestedErrorBody
	}
	return c, nil
}

// Name is Config.Name.
func (c *Client) Name() string { return c.name }

// Now reads Config.Now.
func (c *Client) Now() time.Time { return c.now() }

// Call is one request to the party.
type Call struct {
	Op     string // names the operation in errors: "open account"
	Method string
	// Target is the path and query relative to the base URL, escaped as
	// sent (and signed).
	Target string
	Body   []byte      // JSON; nil for none
	Header http.Header // set on every attempt (Idempotency-Key, X-Request-Id)
	// Personal lists the request's personal data: scrubbed from what the
	// party writes in an error answer (see Scrub).
	Personal []string
}

// Do sends call, retrying as Config says, and returns the body of a 200
// answer that Signer.Verify accepted. Its errors are prefixed with the
// party and the operation (Fail); a non-200 answer is an *Error, and every
// attempt failing retryably wraps ErrGaveUp. A context that has ended
// sends nothing.
func (c *Client) Do(ctx context.Context, call Call) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.Fail(call.Op, err)
	}
	data, err := Retry(ctx, c.retries, c.backoff, func() ([]byte, bool, error) {
		return c.attempt(ctx, call)
	})
	if err != nil {
		return nil, c.Fail(call.Op, err)
	}
	return data, nil
}

// Fail prefixes err with the party, its name and the operation.
func (c *Client) Fail(op string, err error) error {
	return fmt.Errorf("%s %s: %s: %w", c.p.Partner, c.name, op, err)
}

// attempt makes one call under its own timeout; retry reports whether a
// failure may be retried.
func (c *Client) attempt(ctx context.Context, call Call) (data []byte, retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if call.Body != nil {
		rd = bytes.NewReader(call.Body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, c.base+call.Target, rd)
	if err != nil {
		return nil, false, errors.New("the request cannot be built")
	}
	if call.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.p.UserAgent != "" {
		req.Header.Set("User-Agent", c.p.UserAgent)
	}
	for k, vs := range call.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	c.p.Signer.Sign(req, call.Body, c.now())

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, true, withoutURL(err)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, int64(c.p.MaxAnswerBytes)+1))
	if err != nil { // cut off or timed out mid-answer
		return nil, true, fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, withoutURL(err))
	}
	tooLong := len(data) > c.p.MaxAnswerBytes
	if resp.StatusCode == http.StatusOK {
		if tooLong {
			return nil, false, fmt.Errorf("%w: the answer is longer than %d bytes", ErrBadResponse, c.p.MaxAnswerBytes)
		}
		if err := c.p.Signer.Verify(resp.StatusCode, resp.Header, data, c.now()); err != nil {
			return nil, false, err
		}
		return data, false, nil
	}
	e := &Error{Partner: c.p.Partner, Status: resp.StatusCode, Retryable: resp.StatusCode >= 500}
	if !tooLong {
		switch err := c.p.Signer.Verify(resp.StatusCode, resp.Header, data, c.now()); {
		case errors.Is(err, ErrUnsigned):
			// A gateway's page (a 502, say): its status counts, its body
			// is not trusted.
		case err != nil:
			return nil, false, err
		default:
			if code, msg, ok := c.p.ErrorBody(data); ok { // logged: kept short and clean
				e.Code, e.Message = ErrorCode(code, call.Personal), Scrub(msg, call.Personal)
			}
		}
	}
	return nil, e.Retryable, e
}

// withoutURL drops the URL from a *url.Error: it may hold a party's ids of
// a person (a bank ref, a cursor). The cause (a deadline, a refused
// connection) is kept.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NestedErrorBody reads {"error":{"code","message"}}.
func NestedErrorBody(data []byte) (code, message string, ok bool) {
	var w struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &w) != nil || w.Error == nil {
		return "", "", false
	}
	return w.Error.Code, w.Error.Message, true
}

// FlatErrorBody reads {"code","message"}.
func FlatErrorBody(data []byte) (code, message string, ok bool) {
	var w struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &w) != nil {
		return "", "", false
	}
	return w.Code, w.Message, true
}

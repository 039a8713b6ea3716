// Package partnertest plays a party's HTTP API in the partner packages'
// tests: an httptest server that checks each request as the real party
// would (with code of its own, not the client's), records it and answers
// as the test says, plus the answers, clocks and configurations those
// tests share.
package partnertest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Request is one request the server received.
type Request struct {
	Method string
	Target string // the request target as sent: escaped path and query
	Header http.Header
	Body   []byte
}

// Respond answers the n-th request (0-based) that passed Options.Check.
type Respond func(n int, w http.ResponseWriter, r *http.Request, body []byte)

// Options say how the server checks requests.
type Options struct {
	// Check reports what the party would refuse in a request ("" for
	// nothing). A refused request fails the test and is answered by
	// Refuse; it is recorded all the same.
	Check func(r *http.Request, body []byte) string
	// Nonce names the request header holding a nonce: a nonce seen twice
	// fails the test.
	Nonce string
	// Refuse answers a refused request; nil means 401 without a body.
	Refuse func(w http.ResponseWriter, problem string)
}

// Server is a fake party.
type Server struct {
	URL string

	t       testing.TB
	o       Options
	respond Respond
	srv     *httptest.Server

	mu     sync.Mutex
	reqs   []Request
	nonces map[string]bool
}

// New starts a server, closed when the test ends.
func New(t testing.TB, o Options, respond Respond) *Server {
	t.Helper()
	s := &Server{t: t, o: o, respond: respond, nonces: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("fake party: reading the body: %v", err)
		return
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, Request{Method: r.Method, Target: r.RequestURI, Header: r.Header.Clone(), Body: body})
	var reused bool
	if s.o.Nonce != "" {
		nonce := r.Header.Get(s.o.Nonce)
		reused = s.nonces[nonce]
		s.nonces[nonce] = true
	}
	s.mu.Unlock()
	if reused {
		s.t.Errorf("fake party: request %d reuses its %s", n, s.o.Nonce)
	}
	if s.o.Check != nil {
		if problem := s.o.Check(r, body); problem != "" {
			s.t.Errorf("fake party refuses request %d (%s %s): %s", n, r.Method, r.RequestURI, problem)
			if s.o.Refuse != nil {
				s.o.Refuse(w, problem)
			} else {
				w.WriteHeader(http.StatusUnauthorized)
			}
			return
		}
	}
	s.respond(n, w, r, body)
}

// Requests returns what the server received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// Count is len(Requests()).
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// Close stops the server and waits for its handlers: counts are final.
func (s *Server) Close() { s.srv.Close() }

// Reply answers every request with status and a JSON body, unsigned.
func Reply(status int, body string) Respond {
	return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// Hang never answers: it waits until the client gives up (or 10 s).
func Hang(_ int, _ http.ResponseWriter, r *http.Request, _ []byte) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// HangMidBody sends a 200 and the start of body, then waits for the client
// to give up: the attempt's timeout must cover the body.
func HangMidBody(w http.ResponseWriter, r *http.Request, start string) {
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, start)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

// Drop closes the connection without an answer.
func Drop(t testing.TB, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	_ = conn.Close()
}

// RedirectElsewhere answers 307 to another server, path kept, and reports
// how many requests reached that server.
func RedirectElsewhere(t testing.TB) (respond Respond, reached func() int) {
	var mu sync.Mutex
	n := 0
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	return func(_ int, w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

// Unreachable is a base URL nothing listens on.
func Unreachable(t testing.TB) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// SHA256Hex is the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// HMACHex is the lowercase hex HMAC-SHA256 of msg under key.
func HMACHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckTimestamp reports a timestamp header that is not unix seconds
// within skew of now ("" when it is).
func CheckTimestamp(name, ts string, now time.Time, skew time.Duration) string {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > skew {
		return name + " " + strconv.Quote(ts) + " is not the current unix time"
	}
	return ""
}

// Refusal fails the test unless err holds a party's answer of status (and
// code, when not empty), and returns it.
func Refusal(t testing.TB, err error, status int, code string) *partner.Error {
	t.Helper()
	pe, ok := partner.AsError(err)
	if !ok || pe.Status != status || code != "" && pe.Code != code {
		t.Fatalf("error %v; want the party's answer HTTP %d %s", err, status, code)
	}
	if pe.Retryable != (status >= 500) {
		t.Fatalf("%+v: Retryable %v for HTTP %d", pe, pe.Retryable, status)
	}
	return pe
}

// NotARefusal fails the test if err holds a party's answer.
func NotARefusal(t testing.TB, err error) {
	t.Helper()
	if pe, ok := partner.AsError(err); ok {
		t.Fatalf("error %v holds a party's answer %+v", err, pe)
	}
}

// BadConfigs are configurations every NewHTTP refuses, by what is wrong,
// as edits of a good one.
var BadConfigs = map[string]func(*partner.Config){
	"empty URL":          func(c *partner.Config) { c.BaseURL = "" },
	"relative URL":       func(c *partner.Config) { c.BaseURL = "/v2" },
	"plain http":         func(c *partner.Config) { c.BaseURL = "http://api.partner.example.com" },
	"other scheme":       func(c *partner.Config) { c.BaseURL = "ftp://api.partner.example.com" },
	"user info":          func(c *partner.Config) { c.BaseURL = "https://u:p@api.partner.example.com" },
	"query":              func(c *partner.Config) { c.BaseURL = "https://api.partner.example.com/?k=v" },
	"fragment":           func(c *partner.Config) { c.BaseURL = "https://api.partner.example.com/#f" },
	"unparseable URL":    func(c *partner.Config) { c.BaseURL = "https://[::1" },
	"http to other host": func(c *partner.Config) { c.BaseURL = "http://10.0.0.1:8080" },
	"no app id":          func(c *partner.Config) { c.AppID = "" },
	"app id with space":  func(c *partner.Config) { c.AppID = "a b" },
	"app id newline":     func(c *partner.Config) { c.AppID = "a\nb" },
	"no secret":          func(c *partner.Config) { c.Secret = "" },
	"blank name":         func(c *partner.Config) { c.Name = "  " },
	"name with newline":  func(c *partner.Config) { c.Name = "a\nb" },
	"negative retries":   func(c *partner.Config) { c.Retries = -1 },
	"negative timeout":   func(c *partner.Config) { c.Timeout = -time.Second },
	"negative backoff":   func(c *partner.Config) { c.Backoff = -time.Second },
}

// CheckConfigs has newHTTP refuse every BadConfigs edit of ok without
// showing the secret, and accept ok and plain http to loopback hosts.
func CheckConfigs(t *testing.T, ok partner.Config, newHTTP func(partner.Config) error) {
	t.Helper()
	if err := newHTTP(ok); err != nil {
		t.Fatalf("NewHTTP(ok) = %v", err)
	}
	for name, edit := range BadConfigs {
		cfg := ok
		edit(&cfg)
		if err := newHTTP(cfg); err == nil {
			t.Errorf("%s: NewHTTP accepted it", name)
		} else if ok.Secret != "" && strings.Contains(err.Error(), ok.Secret) {
			t.Errorf("%s: error %q shows the secret", name, err)
		}
	}
	for _, base := range []string{"http://127.0.0.1:8080", "http://localhost:9000/base", "http://[::1]:80"} {
		cfg := ok
		cfg.BaseURL = base
		if err := newHTTP(cfg); err != nil {
			t.Errorf("NewHTTP(%s): %v", base, err)
		}
	}
}

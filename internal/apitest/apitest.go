// Package apitest runs the real HTTP handler on a test database and talks to
// it as the app does: GraphQL over HTTP and over websockets.
package apitest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/gid"
	"github.com/tongxue/tongxue/internal/infra/logging"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/throttle"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/payment"
	"github.com/tongxue/tongxue/internal/partners/sms"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
)

// Env is a running server and what a test needs to look inside it.
type Env struct {
	DB   *store.DB
	Keys vault.Keys
	// DataKeyMaterial is the base64 of the data key "t1" (rotation tests).
	DataKeyMaterial string
	Codec           *gid.Codec
	SMS             *sms.Capture
	Auth            *auth.Service
	Priv            *privacy.Service
	Logs            *SyncBuffer   // everything the server logged, JSON lines
	Services        *app.Services // as app.Build made them: what the handler and the resolvers use
	Payment         *payment.Sandbox
	Bank            *bank.Sandbox
	Server          *httptest.Server
	URL             string // the /graphql endpoint
	bus             *watchedBus
}

// Options change the server under test.
type Options struct {
	Production bool
	LogLevel   slog.Level
	// Bus carries live events; nil gives the server an in-process bus.
	Bus pubsub.Bus
	// Keys; nil makes fresh ones (two servers on one database share them).
	Keys *vault.Keys
	// PaymentWindow; 0 is the default 15 minutes.
	PaymentWindow time.Duration
	// Bank wraps the sandbox bank (e.g. to make it fail); nil uses it as is.
	Bank func(*bank.Sandbox) bank.Bank
	// Payment wraps the sandbox payment provider likewise.
	Payment func(*payment.Sandbox) payment.Provider
	// Throttle is the per-client budgets; nil: throttle.Generous(), as the
	// suite sends thousands of requests from 127.0.0.1.
	Throttle *throttle.Budgets
	// Now is the server's clock; nil: time.Now.
	Now func() time.Time
}

// New starts the server on db.
func New(t testing.TB, db *store.DB, opt Options) *Env {
	t.Helper()
	var keys vault.Keys
	var material string
	if opt.Keys != nil {
		keys = *opt.Keys
	} else {
		material = vault.NewKey()
		var err error
		if keys, _, err = vault.Load("t1:"+material, vault.NewKey(), "", true); err != nil {
			t.Fatal(err)
		}
	}
	e := &Env{DB: db, Keys: keys, DataKeyMaterial: material, SMS: &sms.Capture{}, Logs: &SyncBuffer{}}
	log := slog.New(logging.Wrap(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: opt.LogLevel})))
	bus := opt.Bus
	if bus == nil {
		bus = pubsub.NewLocal(pubsub.Options{Logger: log})
		t.Cleanup(func() { bus.Close() })
	}
	e.bus = watch(bus)
	e.Payment = payment.NewSandbox("sandbox", keys.Index.Secret("sandbox-payment"), "http://sandbox.invalid/pay")
	e.Server = httptest.NewUnstartedServer(nil)
	e.Bank = bank.NewSandbox()
	var provider payment.Provider = e.Payment
	if opt.Payment != nil {
		provider = opt.Payment(e.Payment)
	}
	var partnerBank bank.Bank = e.Bank
	if opt.Bank != nil {
		partnerBank = opt.Bank(e.Bank)
	}
	images, err := media.NewDirStore(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	e.Services, err = app.Build(t.Context(), app.Parts{
		DB: db, Keys: keys, Log: log, SMS: e.SMS, Payment: provider, Verifier: studentverify.NewSandbox(),
		Bank: partnerBank, Media: images, Bus: e.bus, Now: opt.Now,
		Web: app.Web{Production: opt.Production}, PublicURL: "http://" + e.Server.Listener.Addr().String(),
		PaymentWindow: opt.PaymentWindow, Throttle: cmp.Or(opt.Throttle, new(throttle.Generous())),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Codec, e.Auth, e.Priv = e.Services.Codec, e.Services.Auth, e.Services.Privacy
	e.Server.Config.Handler = api.NewHandler(e.Services)
	e.Server.Start()
	t.Cleanup(e.Server.Close)
	// Logouts on other instances (two-instance tests) reach this one.
	ctx, stop := context.WithCancel(context.Background())
	watching := make(chan struct{})
	go func() { defer close(watching); e.Services.Sessions.Run(ctx) }()
	t.Cleanup(func() { stop(); <-watching })
	e.bus.await(t, func() bool { return e.bus.ends > 0 }, func() string { return "the server did not follow session ends" })
	e.URL = e.Server.URL + "/graphql"
	return e
}

// Response is a GraphQL response plus its HTTP status and headers.
type Response struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the first error's extensions.code, or "".
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Decode unmarshals data into v, failing the test on GraphQL errors.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Post sends a query by POST; token may be "".
func (e *Env) Post(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(t, req)
}

// Send performs any request against the server and parses a GraphQL body.
func (e *Env) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, r); err != nil {
		t.Fatalf("status %d, body is not JSON: %s", resp.StatusCode, raw)
	}
	CheckErrorCodes(t, req, r.Errors) // each mutation answers only the codes its schema description lists
	return r
}

// Login registers (first time) or logs in a number and returns its token.
func (e *Env) Login(t testing.TB, phone string) string {
	t.Helper()
	if r := e.Post(t, "", `mutation($p: String!) { requestLoginCode(phone: $p) { sentTo } }`,
		map[string]any{"p": phone}); len(r.Errors) > 0 {
		t.Fatalf("requestLoginCode: %+v", r.Errors)
	}
	r := e.Post(t, "", `mutation($in: LoginInput!) { login(input: $in) { token } }`, map[string]any{
		"in": map[string]any{"phone": phone, "code": e.SMS.LastCode(phone), "birthDate": "2003-06-01",
			"nickname": "测试同学", "acceptPolicyVersion": PolicyVersion},
	})
	var out struct{ Login struct{ Token string } }
	r.Decode(t, &out)
	return out.Login.Token
}

// PolicyVersion is the privacy policy version a fresh database starts with.
const PolicyVersion = "2024-02-22"

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Contains reports whether any log line contains sub.
func (s *SyncBuffer) Contains(sub string) bool { return strings.Contains(s.String(), sub) }

// SetRole gives the account of phone a role (staff, merchant, runner).
func (e *Env) SetRole(t testing.TB, phone string, role user.Role) {
	t.Helper()
	hash, _ := account.SealPhone(e.Keys, phone)
	if err := e.DB.Client.User.Update().Where(user.PhoneHash(hash)).SetRole(role).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// UserID returns the database id of the account of phone.
func (e *Env) UserID(t testing.TB, phone string) int {
	t.Helper()
	hash, _ := account.SealPhone(e.Keys, phone)
	id, err := e.DB.Client.User.Query().Where(user.PhoneHash(hash)).OnlyID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// SkipCooldowns forgets sent codes and rate-limit windows, so a test can
// ask for another code at once.
func (e *Env) SkipCooldowns(t testing.TB) {
	t.Helper()
	if _, err := e.DB.Client.RateCounter.Delete().Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Client.LoginCode.Delete().Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
}

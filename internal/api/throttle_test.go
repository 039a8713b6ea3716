package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/throttle"
	"github.com/tongxue/tongxue/internal/seed"
	"github.com/tongxue/tongxue/resolvers"
)

// smallBudgets: 4 anonymous operations per address, 6 per session, one
// placeOrder per user, none coming back during a test.
func smallBudgets() *throttle.Budgets {
	return &throttle.Budgets{
		Anonymous: throttle.Rule{ID: 1, Name: "anonymous", Burst: 4, Every: time.Hour},
		Session:   throttle.Rule{ID: 2, Name: "session", Burst: 6, Every: time.Hour},
		Expensive: map[string]throttle.Rule{"placeOrder": {ID: 4, Name: "order", Burst: 1, Every: time.Hour}},
	}
}

// rateLimited checks that r is RATE_LIMITED with a retryAfter, over HTTP 200
// and without data, and returns the seconds.
func rateLimited(t *testing.T, r *apitest.Response) float64 {
	t.Helper()
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("want RATE_LIMITED, got %d %+v %s", r.Status, r.Errors, r.Data)
	}
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	if d := strings.TrimSpace(string(r.Data)); d != "" && d != "null" {
		t.Fatalf("a refused operation returned data %s", d)
	}
	s, ok := r.Errors[0].Extensions["retryAfter"].(float64)
	if !ok || s < 1 {
		t.Fatalf("retryAfter %v", r.Errors[0].Extensions["retryAfter"])
	}
	return s
}

const cheapQuery = `{ privacyPolicy { version } }`

func TestRateLimitsThroughHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{Throttle: smallBudgets()})
		// Logging in costs two anonymous operations of this address's four.
		token := e.Login(t, "13900000001")
		e.Post(t, "", cheapQuery, nil).Decode(t, &struct{}{})
		e.Post(t, "", cheapQuery, nil).Decode(t, &struct{}{})
		if s := rateLimited(t, e.Post(t, "", cheapQuery, nil)); s < 3000 || s > 3600 {
			t.Fatalf("retryAfter %v s, want about an hour", s)
		}
		// GET answers alike.
		if s := rateLimited(t, get(t, e, cheapQuery, "")); s < 1 {
			t.Fatal(s)
		}

		// The session has its own, larger budget: 6, though the address is
		// spent. The placeOrder below is the first.
		e.Post(t, token, `mutation { placeOrder(input: {lines: [], addressId: "none", idempotencyKey: "k1"}) { id } }`, nil)
		// placeOrder has a budget of one per user: the second is refused
		// before anything runs, grantConsent included.
		grantAndOrder := `mutation {
			g: grantConsent(purpose: SHARE_MERCHANT, channel: POPUP) { granted }
			o: placeOrder(input: {lines: [], addressId: "none", idempotencyKey: "k2"}) { id } }`
		rateLimited(t, e.Post(t, token, grantAndOrder, nil))
		var h struct{ MyConsentHistory []struct{ Purpose string } }
		e.Post(t, token, `{ myConsentHistory { purpose } }`, nil).Decode(t, &h)
		if len(h.MyConsentHistory) != 0 {
			t.Fatalf("the refused mutation granted a consent: %+v", h)
		}
		// Each root field costs one: the refused mutation took two, so four
		// of six are used and two are left.
		rateLimited(t, e.Post(t, token, `{ a: privacyPolicy { version } b: privacyPolicy { version } c: privacyPolicy { version } }`, nil))
		e.Post(t, token, `{ a: privacyPolicy { version } b: privacyPolicy { version } }`, nil).Decode(t, &struct{}{})
		rateLimited(t, e.Post(t, token, cheapQuery, nil))
	})
}

// TestRateLimitsSubscriptionStarts: every subscription started on a socket
// is an operation of the session's budget.
func TestRateLimitsSubscriptionStarts(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite, testdb.Options{})
	e := apitest.New(t, db, apitest.Options{Throttle: smallBudgets()})
	token := e.Login(t, "13900000002")
	ws := e.Socket(t, token)
	for i := 1; i <= 7; i++ {
		ws.Send("subscribe", fmt.Sprint(i), map[string]any{"query": `subscription { wowReceived { id } }`})
	}
	// Operations on a socket run concurrently: any one of the seven is
	// refused, and only one.
	refused := 0
	for {
		timeout := 5 * time.Second
		if refused > 0 {
			timeout = 500 * time.Millisecond // time for a second refusal to show
		}
		m, err := ws.Read(timeout)
		if err != nil {
			break
		}
		if strings.Contains(string(m.Payload), `"RATE_LIMITED"`) {
			if !strings.Contains(string(m.Payload), `"retryAfter"`) {
				t.Fatalf("%s %s", m.Type, m.Payload)
			}
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d of 7 subscriptions refused on a budget of 6", refused)
	}
}

// TestRateLimitsAcrossInstances: a client alternating between two
// instances on one PostgreSQL is held to one budget.
func TestRateLimitsAcrossInstances(t *testing.T) {
	url := testdb.PostgresSchema(t)
	dbA, busA := apitest.PostgresInstance(t, url, 8)
	dbB, busB := apitest.PostgresInstance(t, url, 8)
	budgets := &throttle.Budgets{Anonymous: throttle.Rule{ID: 1, Name: "anonymous", Burst: 6, Every: time.Hour}}
	a := apitest.New(t, dbA, apitest.Options{Bus: busA, Throttle: budgets})
	b := apitest.New(t, dbB, apitest.Options{Bus: busB, Keys: &a.Keys, Throttle: budgets})
	passed := 0
	for i := range 20 {
		if r := []*apitest.Env{a, b}[i%2].Post(t, "", cheapQuery, nil); r.Code() == "" {
			passed++
		} else {
			rateLimited(t, r)
		}
		for _, e := range []*apitest.Env{a, b} { // what Run does every 500 ms
			if err := e.Services.Throttle.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if passed < 6 || passed > 7 {
		t.Fatalf("%d of 20 passed on two instances with a budget of 6", passed)
	}
}

// BenchmarkHomePageThrottle: the anonymous home read with the default
// budgets and without any, alternating within each iteration as compare()
// does; each request comes from one of 4,096 addresses, so no bucket runs
// dry and the limiter holds thousands of keys.
func BenchmarkHomePageThrottle(b *testing.B) {
	db := testdb.Open(b, dialect.SQLite, testdb.Options{})
	e := apitest.New(b, db, apitest.Options{})
	if _, _, err := seed.IfEmpty(b.Context(), db.Client, e.Keys, time.Now()); err != nil {
		b.Fatal(err)
	}
	limited := *e.Services
	limited.Throttle = throttle.New(throttle.Config{Budgets: throttle.DefaultBudgets(), Index: e.Keys.Index, DB: db})
	open := *e.Services
	open.Throttle = nil
	body := fmt.Sprintf(`{"query": %q, "variables": {"n": 20}}`, HomePageQuery)
	ctxs := make([]context.Context, 4096)
	for i := range ctxs {
		ctxs[i] = reqinfo.NewContext(context.Background(),
			reqinfo.Info{RequestID: "bench", ClientIP: fmt.Sprintf("10.1.%d.%d", i>>8, i&255)})
	}
	n := 0
	handler := func(d *app.Services) func() {
		srv := api.NewGraphQLWith(d, resolvers.NewSchema(resolvers.New(d)))
		return func() {
			n++ // each request from the next of 4,096 addresses
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)).WithContext(ctxs[n%len(ctxs)])
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
		}
	}
	with, without := handler(&limited), handler(&open)
	with()
	without()
	alternate(b, with, without, "limited", "unlimited")
	b.ReportMetric(float64(limited.Throttle.Len()), "buckets")
}

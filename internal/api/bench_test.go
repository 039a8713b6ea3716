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
	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/feedback"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
	"github.com/tongxue/tongxue/resolvers"
)

// benchEnv is a seeded SQLite server and a signed-in user with 50 feedback
// messages, each showing two masked, consent-guarded contacts.
type benchEnv struct {
	env *apitest.Env
	ctx context.Context
}

func newBenchEnv(b *testing.B) *benchEnv {
	db := testdb.Open(b, dialect.SQLite, testdb.Options{})
	e := apitest.New(b, db, apitest.Options{})
	if _, _, err := seed.IfEmpty(b.Context(), db.Client, e.Keys, time.Now()); err != nil {
		b.Fatal(err)
	}
	token := e.Login(b, "13512340000")
	e.Post(b, token, `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted } }`, nil)
	v, err := e.Auth.Authenticate(b.Context(), token)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		p, m := fmt.Sprintf("1351234%04d", i), fmt.Sprintf("user%d@example.com", i)
		if _, err := e.Services.Feedbacks.Submit(b.Context(), v.UserID, feedback.Input{Text: "反馈", ContactPhone: &p, ContactEmail: &m}); err != nil {
			b.Fatal(err)
		}
	}
	ctx := reqinfo.NewContext(auth.NewContext(context.Background(), v), reqinfo.Info{RequestID: "bench"})
	return &benchEnv{env: e, ctx: ctx}
}

// passthrough replaces @mask and @consent with no-ops: the baseline for the
// directives' cost.
func passthrough(cfg graph.Config) graph.Config {
	cfg.Directives.Mask = func(ctx context.Context, _ any, next graphql.Resolver, _ maskKind) (any, error) { return next(ctx) }
	cfg.Directives.Consent = func(ctx context.Context, _ any, next graphql.Resolver, _ purpose, _ *subject) (any, error) {
		return next(ctx)
	}
	return cfg
}

// handler returns a function that runs query once against a server built
// on cfg.
func (be *benchEnv) handler(b *testing.B, cfg graph.Config, query, vars string) func() {
	srv := api.NewGraphQLWith(be.env.Services, graph.NewExecutableSchema(cfg))
	body := fmt.Sprintf(`{"query": %q, "variables": %s}`, query, vars)
	do := func() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)).WithContext(be.ctx)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
	do()
	return do
}

// compare runs the query with the real directives and with no-op ones,
// alternating within each iteration so machine noise hits both alike, and
// reports both times and the directives' overhead.
func (be *benchEnv) compare(b *testing.B, query, vars string) {
	cfg := resolvers.Config(resolvers.New(be.env.Services))
	with := be.handler(b, cfg, query, vars)
	without := be.handler(b, passthrough(cfg), query, vars)
	alternate(b, with, without, "directives", "passthrough")
}

// BenchmarkHomePage: 20 products with merchant and three reviews each.
func BenchmarkHomePage(b *testing.B) {
	newBenchEnv(b).compare(b, HomePageQuery, `{"n": 20}`)
}

// BenchmarkMaskedFields: 100 masked fields (50 messages × phone and email),
// each also under @consent.
func BenchmarkMaskedFields(b *testing.B) {
	newBenchEnv(b).compare(b, `query { myFeedback(limit: 50) { contactPhone contactEmail } }`, `{}`)
}

// alternate runs with and without in turn within each iteration, so machine
// noise hits both alike, and reports both times and the overhead of with.
func alternate(b *testing.B, with, without func(), withName, withoutName string) {
	var tWith, tWithout time.Duration
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		first, second, t1, t2 := with, without, &tWith, &tWithout
		if n%2 == 1 {
			first, second, t1, t2 = without, with, &tWithout, &tWith
		}
		start := time.Now()
		first()
		mid := time.Now()
		second()
		*t1 += mid.Sub(start)
		*t2 += time.Since(mid)
		n++
	}
	b.ReportMetric(float64(tWith.Nanoseconds())/float64(n), "ns/"+withName)
	b.ReportMetric(float64(tWithout.Nanoseconds())/float64(n), "ns/"+withoutName)
	b.ReportMetric(100*(float64(tWith)-float64(tWithout))/float64(tWithout), "%overhead")
}

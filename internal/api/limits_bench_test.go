package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/resolvers"
)

// BenchmarkHomeReadLimits measures what the request limits (limits.go) add
// to the home read (50 products, merchant, 5 reviews each) in the steady
// state: the query text is cached, its variables are measured every time.
// The handlers with and without the limits run alternately within each
// iteration, so machine noise hits both alike.
func BenchmarkHomeReadLimits(b *testing.B) {
	be := newBenchEnv(b)
	vars, _ := json.Marshal(homeReadVars)
	body := fmt.Sprintf(`{"query": %q, "variables": %s}`, HomeRead, vars)
	run := func(srv *handler.Server) func() {
		do := func() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)).WithContext(be.ctx)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
		}
		do() // fills the query cache
		return do
	}
	deps := be.env.Deps
	with := run(api.NewGraphQLWith(deps, resolvers.NewSchema(deps.Resolver())))
	without := run(api.NewGraphQLWithoutLimits(deps, resolvers.NewSchema(deps.Resolver())))
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
	b.ReportMetric(float64(tWith.Nanoseconds())/float64(n), "ns/limits")
	b.ReportMetric(float64(tWithout.Nanoseconds())/float64(n), "ns/none")
	b.ReportMetric(100*(float64(tWith)-float64(tWithout))/float64(tWithout), "%overhead")
}

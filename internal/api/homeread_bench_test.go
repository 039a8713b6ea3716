package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/seed"
	"github.com/tongxue/tongxue/internal/testdb"
)

// HomeReadQuery is the home read measured side by side with the peer
// (make bench-http): 50 newest products, each with its merchant and its 5
// newest reviews, totalCount and pageInfo. Anonymous, public fields only.
const HomeReadQuery = `query Home {
  products(first: 50, orderBy: [{field: CREATED_AT, direction: DESC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name priceFen rating studentOnly
      merchant { name campus location }
      reviews(first: 5, orderBy: [{field: CREATED_AT, direction: DESC}]) {
        edges { node { rating text } }
      }
    } }
  }
}`

// BenchmarkHomeRead serves the home read through the whole HTTP handler,
// in process, on each database, and reports SQL statements per request
// beside time and allocations (allocs/op is the steadiest figure on a
// shared machine).
func BenchmarkHomeRead(b *testing.B) {
	for _, backend := range []string{dialect.Postgres, dialect.SQLite} {
		b.Run(backend, func(b *testing.B) {
			counter := &testdb.Counter{}
			db := testdb.Open(b, backend, testdb.Options{WrapDriver: counter.Wrap})
			e := apitest.New(b, db, apitest.Options{})
			if _, _, err := seed.IfEmpty(b.Context(), db.Client, e.Keys, time.Now()); err != nil {
				b.Fatal(err)
			}
			h := api.NewHandler(e.Deps)
			body := fmt.Sprintf(`{"query": %q}`, HomeReadQuery)
			serve := func() int {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
					b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
				}
				return rec.Body.Len()
			}
			size := serve()
			counter.Reset()
			serve()
			stmts := counter.Count()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serve()
			}
			b.ReportMetric(float64(stmts), "sql/op")
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}

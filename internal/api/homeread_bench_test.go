package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

// BenchmarkHomeRead serves the home read of make bench-http
// (bench/home.graphql: 50 newest products, each with its merchant and its 5
// newest reviews, totalCount and pageInfo) through the whole HTTP handler,
// in process, on each database, and reports SQL statements per request
// beside time and allocations (allocs/op is the steadiest figure on a
// shared machine).
func BenchmarkHomeRead(b *testing.B) {
	query, err := os.ReadFile("../../bench/home.graphql")
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range []string{dialect.Postgres, dialect.SQLite} {
		b.Run(backend, func(b *testing.B) {
			counter := &testdb.Counter{}
			db := testdb.Open(b, backend, testdb.Options{WrapDriver: counter.Wrap})
			e := apitest.New(b, db, apitest.Options{})
			if _, _, err := seed.IfEmpty(b.Context(), db.Client, e.Keys, time.Now()); err != nil {
				b.Fatal(err)
			}
			h := api.NewHandler(e.Services)
			body := fmt.Sprintf(`{"query": %q}`, query)
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

package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	s := be.env.Services
	with := run(api.NewGraphQLWith(s, resolvers.NewSchema(resolvers.New(s))))
	without := run(api.NewGraphQLWithoutLimits(s, resolvers.NewSchema(resolvers.New(s))))
	alternate(b, with, without, "limits", "none")
}

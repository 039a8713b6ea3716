package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// HomeRead is the home read the limits are sized for: 50 products, each
// with its merchant and 5 reviews, totalCount and pageInfo.
var HomeRead = strings.Replace(HomePageQuery, "reviews(first: 3", "reviews(first: 5", 1)

var homeReadVars = map[string]any{"n": 50}

func joinN(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}

// wantLimit checks a refusal: its code, status, numeric limit and measure,
// and that it came quickly.
func wantLimit(t *testing.T, e *apitest.Env, name, query string, vars map[string]any, code string, limit int) {
	t.Helper()
	start := time.Now()
	r := e.Post(t, "", query, vars)
	d := time.Since(start)
	t.Logf("%s (%d bytes): %s in %v", name, len(query), code, d)
	if d > time.Second {
		t.Errorf("%s: refused after %v", name, d)
	}
	if r.Code() != code || r.Status != http.StatusUnprocessableEntity || len(r.Data) > 0 && string(r.Data) != "null" {
		t.Fatalf("%s: %d %s %+v", name, r.Status, r.Data, r.Errors)
	}
	ext := r.Errors[0].Extensions
	l, ok1 := ext["limit"].(float64)
	m, ok2 := ext["measured"].(float64)
	if !ok1 || !ok2 || int(l) != limit || m <= l {
		t.Fatalf("%s: extensions %v, want limit %d and a greater measure", name, ext, limit)
	}
	if !strings.Contains(r.Errors[0].Message, fmt.Sprint(limit)) {
		t.Fatalf("%s: the message does not name the limit: %s", name, r.Errors[0].Message)
	}
}

func TestRequestLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := seeded(t, db)

		t.Run("home read and README queries pass", func(t *testing.T) {
			var res struct {
				Products struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Merchant struct{ Name string }
							Reviews  struct {
								Edges []struct{ Node struct{ Text string } }
							}
						}
					}
				}
			}
			e.Post(t, "", HomeRead, homeReadVars).Decode(t, &res)
			if len(res.Products.Edges) != 50 || res.Products.TotalCount < 50 {
				t.Fatalf("%d products of %d", len(res.Products.Edges), res.Products.TotalCount)
			}
			// The README's catalogue queries, as written there.
			for _, q := range []string{
				`{ products(first: 20, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount pageInfo { hasNextPage endCursor }
				   edges { node { id name priceFen rating studentOnly merchant { name campus location }
				   reviews(first: 3, orderBy: [{field: CREATED_AT, direction: DESC}]) { edges { node { rating text author { nickname } } } } } } } }`,
				`{ products(first: 10, search: "耳机", where: {category: DIGITAL, priceFenGTE: 5000, priceFenLTE: 20000},
				   orderBy: [{field: RATING, direction: DESC}, {field: PRICE}]) { edges { node { name priceFen rating merchant { name } } } } }`,
				`{ merchants(first: 10, where: {campus: "清华大学"}) { edges { node { id name location } } } }`,
				graphiqlIntrospection,
			} {
				if r := e.Post(t, "", q, nil); len(r.Errors) > 0 {
					t.Errorf("%.60s…: %+v", q, r.Errors)
				}
			}
		})

		t.Run("cost", func(t *testing.T) {
			// The 228-byte query of issue 8 (25 MB after 16 s) is deeper than
			// 12; within the depth limit, its pages multiply past the budget.
			wantLimit(t, e, "issue 8 query", `{merchants(first:100){edges{node{products(first:100){edges{node{reviews(first:100){edges{node{product{merchant{products(first:100){edges{node{reviews(first:100){edges{node{text}}}}}}}}}}}}}}}}}}`,
				nil, "QUERY_TOO_DEEP", 12)
			wantLimit(t, e, "100 × 100 × 100", `{merchants(first:100){edges{node{products(first:100){edges{node{reviews(first:100){edges{node{text author{nickname}}}}}}}}}}}`,
				nil, "QUERY_TOO_COMPLEX", 5000)
			// Page sizes by variable count; a cached query text is measured
			// again with each request's variables.
			q := `query($n: Int!, $r: Int!) { products(first: $n) { edges { node { reviews(first: $r) { edges { node { text } } } } } } }`
			if r := e.Post(t, "", q, map[string]any{"n": 10, "r": 10}); len(r.Errors) > 0 {
				t.Fatalf("10 × 10: %+v", r.Errors)
			}
			wantLimit(t, e, "100 × 100 by variables", q, map[string]any{"n": 100, "r": 100}, "QUERY_TOO_COMPLEX", 5000)
		})

		t.Run("depth", func(t *testing.T) {
			// 13 levels: products edges node merchant products edges node
			// reviews edges node author nickname … and one more.
			q := `{ products(first: 1) { edges { node { merchant { products(first: 1) { edges { node { reviews(first: 1) { edges { node { product { merchant { name } } } } } } } } } } } } }`
			wantLimit(t, e, "depth 13", q, nil, "QUERY_TOO_DEEP", 12)
			ok := `{ products(first: 1) { edges { node { merchant { products(first: 1) { edges { node { reviews(first: 1) { edges { node { product { name } } } } } } } } } } } }`
			if r := e.Post(t, "", ok, nil); len(r.Errors) > 0 {
				t.Fatalf("depth 12: %+v", r.Errors)
			}
		})

		t.Run("2,000 same-named fields", func(t *testing.T) {
			// The same field with 2,000 different arguments: validation
			// compares them pairwise (16 s and 3.3 GB before the limits).
			q := "{ products(first: 1) { " + joinN(2000, func(i int) string { return fmt.Sprintf("totalCount(a: %d)", i) }) + " } }"
			wantLimit(t, e, "2,000 same-named fields", q, nil, "QUERY_TOO_COMPLEX", 100)
			q = "{ me { " + joinN(101, func(i int) string { return fmt.Sprintf("f%d: id", i) }) + " } }"
			wantLimit(t, e, "101 fields", q, nil, "QUERY_TOO_COMPLEX", 100)
		})

		t.Run("fields after fragment expansion", func(t *testing.T) {
			q := "{ " + joinN(30, func(i int) string { return fmt.Sprintf("p%d: products(first: 1) { ...C }", i) }) + " } " +
				"fragment C on ProductConnection { edges { node { ...P } } } " +
				"fragment P on Product { " + joinN(70, func(i int) string { return fmt.Sprintf("f%d: name", i) }) + " }"
			wantLimit(t, e, "30 × 70 fields by fragments", q, nil, "QUERY_TOO_COMPLEX", 2000)
			// Fragments spreading fragments: 2^30 fields, refused at once.
			q = "{ products(first: 1) { edges { node { ...f0 } } } } " +
				joinN(30, func(i int) string {
					return fmt.Sprintf("fragment f%d on Product { merchant { products(first: 1) { edges { node { ...f%d } } } } a: merchant { products(first: 1) { edges { node { ...f%d } } } } }", i, i+1, i+1)
				}) + " fragment f30 on Product { name }"
			wantLimit(t, e, "fragments doubling 30 times", q, nil, "QUERY_TOO_COMPLEX", 2000)
			// A cycle is refused by validation, as before.
			if r := e.Post(t, "", `{ products(first: 1) { edges { node { ...F } } } } fragment F on Product { name ...F }`, nil); r.Code() != "GRAPHQL_VALIDATION_FAILED" &&
				r.Code() != "QUERY_TOO_COMPLEX" {
				t.Fatalf("cycle: %+v", r.Errors)
			}
		})

		t.Run("nested where", func(t *testing.T) {
			deep := `{hasReviewsWith: [{hasProductWith: [{hasMerchantWith: [{hasProductsWith: [{name: "x"}]}]}]}]}`
			wantLimit(t, e, "where 5 deep", `{ products(first: 1, where: `+deep+`) { totalCount } }`, nil, "QUERY_TOO_DEEP", 4)
			var w any = map[string]any{"name": "x"}
			for range 5 {
				w = map[string]any{"not": w}
			}
			wantLimit(t, e, "where 6 deep by variable", `query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`,
				map[string]any{"w": w}, "QUERY_TOO_DEEP", 4)
			ok := `{ products(first: 1, where: {hasMerchantWith: [{or: [{campus: "清华大学"}, {not: {name: "x"}}]}]}) { totalCount } }`
			if r := e.Post(t, "", ok, nil); len(r.Errors) > 0 {
				t.Fatalf("where 4 deep: %+v", r.Errors)
			}
		})

		t.Run("page sizes stay BAD_USER_INPUT", func(t *testing.T) {
			r := e.Post(t, "", `{ products(first: 5) { edges { node { reviews(first: 1000) { totalCount } } } } }`, nil)
			if r.Code() != "BAD_USER_INPUT" || r.Status != 200 {
				t.Fatalf("%d %+v", r.Status, r.Errors)
			}
		})

		t.Run("GET", func(t *testing.T) {
			r := get(t, e, `{ products(first: 1, where: {not: {not: {not: {not: {not: {name: "x"}}}}}}) { totalCount } }`, "application/graphql-response+json")
			if r.Code() != "QUERY_TOO_DEEP" || r.Status != http.StatusBadRequest {
				t.Fatalf("%d %+v", r.Status, r.Errors)
			}
		})
	})
}

const graphiqlIntrospection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// Production names no fields, arguments, types or values the client did
// not spell right.
func TestProductionSuggestsNothing(t *testing.T) {
	bad := []struct {
		query string
		vars  map[string]any
	}{
		{`{ merchants(first: 1) { totalCont } }`, nil},                                         // a field
		{`{ merchants(frist: 1) { totalCount } }`, nil},                                        // an argument
		{`{ products(first: 1, orderBy: [{field: CREATED_AX}]) { totalCount } }`, nil},         // an enum value
		{`{ products(first: 1, where: {nam: "x"}) { totalCount } }`, nil},                      // an input field
		{`{ products(first: 1) { ...F } } fragment F on ProductConection { totalCount }`, nil}, // a type
		{`{ merchants(first: 1) }`, nil},                                                       // a selection
		{`query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"nam": "x"}}},
		{`query($o: [ProductOrder!]) { products(first: 1, orderBy: $o) { totalCount } }`, map[string]any{"o": []any{map[string]any{"field": "CREATED_AX"}}}},
	}
	for _, production := range []bool{false, true} {
		name := map[bool]string{false: "development", true: "production"}[production]
		t.Run(name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				e := apitest.New(t, db, apitest.Options{Production: production})
				for i, c := range bad {
					r := e.Post(t, "", c.query, c.vars)
					if len(r.Errors) == 0 {
						t.Fatalf("%s: no error", c.query)
					}
					raw, _ := json.Marshal(r.Errors)
					suggests := strings.Contains(string(raw), "Did you mean")
					switch {
					case production && suggests:
						t.Errorf("%s: %s", c.query, raw)
					case !production && i < 6 && !suggests: // the first six do suggest in development
						t.Errorf("development does not suggest (the test proves nothing): %s: %s", c.query, raw)
					}
				}
			})
		})
	}
}

// The request time limit stops the database: a statement still running at
// the deadline is cancelled on the server, and the client hears TIMEOUT.
func TestDeadlineCancelsTheDatabase(t *testing.T) {
	var armed atomic.Bool
	for _, backend := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(backend, func(t *testing.T) {
			slow := "SELECT pg_sleep(30)"
			if backend == dialect.SQLite {
				slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c"
			}
			wrap := func(d dialect.Driver) dialect.Driver { return slowDriver{Driver: d, armed: &armed, slow: slow} }
			db := testdb.Open(t, backend, testdb.Options{WrapDriver: wrap})
			e := apitest.New(t, db, apitest.Options{})
			srv := api.NewGraphQL(e.Services)
			armed.Store(true)
			defer armed.Store(false)

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": "{ merchants(first: 1) { totalCount } }"}`)).WithContext(ctx)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			start := time.Now()
			srv.ServeHTTP(rec, req)
			d := time.Since(start)
			armed.Store(false)
			t.Logf("answered after %v: %s", d, rec.Body.String())
			if d > 5*time.Second {
				t.Fatalf("the statement ran on after the deadline: %v", d)
			}
			var resp struct {
				Errors []struct{ Extensions map[string]any }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &resp)
			code := ""
			if len(resp.Errors) > 0 {
				code, _ = resp.Errors[0].Extensions["code"].(string)
			}
			switch {
			case code == "TIMEOUT":
			default:
				t.Errorf("want TIMEOUT: %s\n%s", rec.Body.String(), e.Logs.String())
			}
			if backend == dialect.Postgres {
				// The cancel request reaches the server asynchronously.
				var running int
				for range 50 {
					if err := db.SQL.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1`, slow).Scan(&running); err != nil {
						t.Fatal(err)
					}
					if running == 0 {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				if running != 0 {
					t.Fatalf("%d statements still running on the server", running)
				}
			}
		})
	}
}

// slowDriver runs a slow statement, with the caller's context, before each
// query while armed.
type slowDriver struct {
	dialect.Driver
	armed *atomic.Bool
	slow  string
}

func (d slowDriver) Query(ctx context.Context, q string, args, v any) error {
	if d.armed.Load() && strings.Contains(q, "merchants") {
		var rows entsql.Rows
		if err := d.Driver.Query(ctx, d.slow, []any{}, &rows); err != nil {
			return err
		}
		for rows.Next() {
		}
		err := rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return d.Driver.Query(ctx, q, args, v)
}

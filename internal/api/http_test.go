package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

func get(t *testing.T, e *apitest.Env, query, accept string) *apitest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+"?query="+url.QueryEscape(query), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return e.Send(t, req)
}

func TestGraphQLOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})

		r := get(t, e, `{ merchants(first: 1) { totalCount } }`, "")
		if r.Status != 200 || len(r.Errors) > 0 || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET: %d %s %+v", r.Status, r.Header.Get("Content-Type"), r.Errors)
		}
		r = get(t, e, `{ merchants(first: 1) { totalCount } }`, "application/graphql-response+json, application/json;q=0.9")
		if ct := r.Header.Get("Content-Type"); ct != "application/graphql-response+json" {
			t.Fatalf("GET with graphql-response accept: content type %q", ct)
		}
		r = get(t, e, `mutation { logout }`, "")
		if r.Status != http.StatusMethodNotAllowed || r.Code() != "METHOD_NOT_ALLOWED" || r.Header.Get("Allow") != "POST" {
			t.Fatalf("GET mutation: %d %+v", r.Status, r.Errors)
		}
		r = get(t, e, `{ merchants(first: 1) { nope } }`, "application/graphql-response+json")
		if r.Status != http.StatusBadRequest || r.Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("GET invalid: %d %+v", r.Status, r.Errors)
		}

		post := func(ctype, body string) *apitest.Response {
			req, _ := http.NewRequest(http.MethodPost, e.URL, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			return e.Send(t, req)
		}
		r = post("application/json", `{"query": "{ merchants(first: 2) { totalCount } }"}`)
		if r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("POST: %d %+v", r.Status, r.Errors)
		}
		r = post("application/json", `{"query": "mutation { login(input: {phone: \"13512345678\"`)
		if r.Status != http.StatusBadRequest || r.Code() != "BAD_REQUEST" || strings.Contains(r.Errors[0].Message, "13512345678") {
			t.Fatalf("POST bad JSON: %d %+v", r.Status, r.Errors)
		}
		r = post("text/plain", `{}`)
		if r.Status != http.StatusUnsupportedMediaType || r.Code() != "UNSUPPORTED_MEDIA_TYPE" {
			t.Fatalf("POST text/plain: %d %+v", r.Status, r.Errors)
		}
		r = post("application/json", `{"query": "{ __typename }", "variables": {"x": "`+strings.Repeat("a", 2<<20)+`"}}`)
		if r.Status < 400 || r.Code() == "" {
			t.Fatalf("POST 2 MiB: %d %+v", r.Status, r.Errors)
		}
		req, _ := http.NewRequest(http.MethodDelete, e.URL, nil)
		if r = e.Send(t, req); r.Status != http.StatusMethodNotAllowed || r.Code() != "METHOD_NOT_ALLOWED" {
			t.Fatalf("DELETE: %d %+v", r.Status, r.Errors)
		}
		r = e.Post(t, "txs_not-a-session", `{ me { id } }`, nil)
		if r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("bad token: %d %+v", r.Status, r.Errors)
		}

		r = e.Post(t, "", `{ merchants(first: 1) { totalCount } `, nil)
		if r.Code() != "GRAPHQL_PARSE_FAILED" {
			t.Fatalf("parse error: %+v", r.Errors)
		}
		r = e.Post(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "not-an-id"})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("bad ID: %+v", r.Errors)
		}
		r = e.Post(t, "", `query($d: Date) { __typename }`, map[string]any{"d": 5})
		if r.Code() == "" {
			t.Fatalf("bad variable without code: %+v", r.Errors)
		}
	})
}

func TestPlaygroundHealthAndReadiness(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		resp, err := http.Get(e.Server.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("playground: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		r := e.Post(t, "", `{ __schema { queryType { name } } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("introspection in development: %+v", r.Errors)
		}
		for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
			if got := status(t, e.Server.URL+path); got != want {
				t.Fatalf("%s = %d", path, got)
			}
		}
		db.SQL.Close()
		if got := status(t, e.Server.URL+"/readyz"); got != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with the database closed = %d", got)
		}
		if got := status(t, e.Server.URL+"/healthz"); got != 200 {
			t.Fatalf("/healthz with the database closed = %d", got)
		}
	})
}

func TestProductionHidesPlaygroundAndIntrospection(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite, testdb.Options{})
	e := apitest.New(t, db, apitest.Options{Production: true})
	if got := status(t, e.Server.URL+"/"); got != http.StatusNotFound {
		t.Fatalf("playground in production: %d", got)
	}
	r := e.Post(t, "", `{ __schema { queryType { name } } }`, nil)
	if r.Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("introspection in production: %+v", r.Errors)
	}
}

// A panicking resolver becomes INTERNAL with the request id; the stack and
// the panic value go to the log only.
func TestPanicBecomesInternalError(t *testing.T) {
	var armed atomic.Bool
	wrap := func(d dialect.Driver) dialect.Driver { return panicDriver{Driver: d, armed: &armed} }
	for _, backend := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(backend, func(t *testing.T) {
			db := testdb.Open(t, backend, testdb.Options{WrapDriver: wrap})
			e := apitest.New(t, db, apitest.Options{})
			armed.Store(true)
			defer armed.Store(false)
			r := e.Post(t, "", `{ merchants(first: 1) { totalCount } }`, nil)
			if r.Status != 200 || r.Code() != "INTERNAL" {
				t.Fatalf("panic: %d %+v", r.Status, r.Errors)
			}
			id := r.Header.Get("X-Request-Id")
			if id == "" || r.Errors[0].Extensions["requestId"] != id || r.Errors[0].Message != "internal error" {
				t.Fatalf("error %+v, request id %q", r.Errors[0], id)
			}
			logs := e.Logs.String()
			if !strings.Contains(logs, `"request_id":"`+id+`"`) && !strings.Contains(logs, id) {
				t.Fatalf("log has no request id %s", id)
			}
			if !strings.Contains(logs, "resolver panic") || !strings.Contains(logs, "goroutine") {
				t.Fatalf("log has no panic and stack: %s", logs)
			}
			if strings.Contains(logs, "13912345678") || !strings.Contains(logs, "139****5678") {
				t.Fatalf("the panic value reached the log unredacted: %s", logs)
			}
			armed.Store(false)
			if r := e.Post(t, "", `{ merchants(first: 1) { totalCount } }`, nil); len(r.Errors) > 0 {
				t.Fatalf("server after panic: %+v", r.Errors)
			}
		})
	}
}

type panicDriver struct {
	dialect.Driver
	armed *atomic.Bool
}

func (d panicDriver) Query(ctx context.Context, q string, args, v any) error {
	if d.armed.Load() && strings.Contains(q, "merchants") {
		panic("boom: 13912345678")
	}
	return d.Driver.Query(ctx, q, args, v)
}

func status(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

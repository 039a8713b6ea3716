package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/system"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// raw is everything a response shows the client, as one string.
func raw(t *testing.T, r *apitest.Response) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"data": r.Data, "errors": r.Errors})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// errorLines are the ERROR lines the server logged: a client's mistake
// must not raise one.
func errorLines(e *apitest.Env) []string {
	var out []string
	for _, l := range strings.Split(e.Logs.String(), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

// nodes answers an ID that names nothing the anonymous viewer may see (a
// hidden post, a deleted one, an ID of no Node type) as node does: NOT_FOUND
// "node not found" at its index, never the decoded row number, in
// development and in production; a garbage ID is BAD_USER_INPUT naming it.
func TestNodesErrorsRevealNoRowNumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for _, production := range []bool{false, true} {
			t.Run("production="+strconv.FormatBool(production), func(t *testing.T) {
				e := apitest.New(t, db, apitest.Options{Production: production})
				phone := "1381234" + map[bool]string{false: "5670", true: "5671"}[production]
				e.Login(t, phone)
				author := e.UserID(t, phone)
				sys := system.Context(t.Context())
				mk := func(v post.Visibility) int {
					p, err := db.Client.Post.Create().SetAuthorID(author).SetText("x").SetVisibility(v).Save(sys)
					if err != nil {
						t.Fatal(err)
					}
					return p.ID
				}
				public, hidden, deleted := mk(post.VisibilityPUBLIC), mk(post.VisibilityONLY_ME), mk(post.VisibilityPUBLIC)
				if err := db.Client.Post.DeleteOneID(deleted).Exec(sys); err != nil {
					t.Fatal(err)
				}
				noType := 1<<40 + 7 // in no Node type's range
				rows := []int{hidden, deleted, noType}
				id := func(n int) string { return e.Codec.EncodeID(n) }
				revealsNothing := func(r *apitest.Response) {
					t.Helper()
					body := raw(t, r)
					for _, n := range rows {
						if strings.Contains(body, strconv.Itoa(n)) || strings.Contains(e.Logs.String(), strconv.Itoa(n)) {
							t.Fatalf("row number %d shown: %s", n, body)
						}
					}
					for _, word := range []string{"post", "Post", "table", "global id"} {
						if strings.Contains(body, word) {
							t.Fatalf("%q shown: %s", word, body)
						}
					}
					if l := errorLines(e); len(l) > 0 {
						t.Fatalf("logged as an error: %v", l)
					}
				}

				// node's answer for each is the reference.
				one := e.Post(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id(hidden)})
				revealsNothing(one)
				if one.Code() != "NOT_FOUND" {
					t.Fatalf("node(hidden): %+v", one.Errors)
				}
				want := one.Errors[0].Message
				for _, n := range rows[1:] {
					r := e.Post(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id(n)})
					revealsNothing(r)
					if r.Code() != "NOT_FOUND" || r.Errors[0].Message != want {
						t.Fatalf("node(%d): %+v, want %q like a hidden post", n, r.Errors, want)
					}
				}

				for _, ids := range [][]int{{hidden}, {deleted}, {hidden, deleted, noType}, {public, hidden, public, deleted}} {
					vars := map[string]any{"ids": []string{}}
					for _, n := range ids {
						vars["ids"] = append(vars["ids"].([]string), id(n))
					}
					r := e.Post(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, vars)
					revealsNothing(r)
					var got struct{ Nodes []*struct{ ID string } }
					if err := json.Unmarshal(r.Data, &got); err != nil || len(got.Nodes) != len(ids) {
						t.Fatalf("nodes(%v): %s %v", ids, r.Data, err)
					}
					var failed []int
					for i, n := range ids {
						if n == public {
							if got.Nodes[i] == nil || got.Nodes[i].ID != id(public) {
								t.Fatalf("nodes(%v)[%d] = %+v, want the public post", ids, i, got.Nodes[i])
							}
							continue
						}
						if got.Nodes[i] != nil {
							t.Fatalf("nodes(%v)[%d] = %+v, want null", ids, i, got.Nodes[i])
						}
						failed = append(failed, i)
					}
					if len(r.Errors) != len(failed) {
						t.Fatalf("nodes(%v): %d errors, want %d: %+v", ids, len(r.Errors), len(failed), r.Errors)
					}
					for k, er := range r.Errors {
						path, _ := json.Marshal(er.Path)
						if er.Extensions["code"] != "NOT_FOUND" || er.Message != want || string(path) != `["nodes",`+strconv.Itoa(failed[k])+`]` {
							t.Fatalf("nodes(%v): %+v, want %q NOT_FOUND at its index", ids, er, want)
						}
					}
				}

				// A garbage ID: the whole argument is refused, as node refuses it.
				ref := e.Post(t, "", `{ node(id: "abc") { id } }`, nil)
				r := e.Post(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
					map[string]any{"ids": []string{id(hidden), "abc", id(deleted)}})
				revealsNothing(r)
				if ref.Code() != "BAD_USER_INPUT" || r.Code() != "BAD_USER_INPUT" || r.Errors[0].Message != ref.Errors[0].Message ||
					ref.Errors[0].Extensions["field"] != "id" || r.Errors[0].Extensions["field"] != "ids[1]" {
					t.Fatalf("garbage ID: node %+v, nodes %+v", ref.Errors, r.Errors)
				}
			})
		}
	})
}

// A bad value is the client's mistake: BAD_USER_INPUT naming the argument
// or variable, the value not echoed, no ERROR log line. Every scalar of
// the schema has cases here (a new scalar fails the test until it has).
func TestBadInputIsBadUserInput(t *testing.T) {
	type bad struct {
		query string
		vars  map[string]any
		field string // extensions.field
	}
	const secret = "13899990000" // a value that must never be echoed
	byScalar := map[string][]bad{
		"ID": {
			{`{ node(id: 5) { id } }`, nil, "id"},
			{`{ nodes(ids: ["abc", "` + secret + `"]) { id } }`, nil, "ids[0]"},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": secret}, "id"},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": true}, "$id"},
		},
		"Cursor": {
			{`{ products(first: 1, after: "` + secret + `") { totalCount } }`, nil, "after"},
			{`query($c: Cursor) { products(last: 1, before: $c) { totalCount } }`, map[string]any{"c": 42}, "before"},
		},
		"Time": {
			{`{ products(first: 1, where: {createdAtGT: "x"}) { totalCount } }`, nil, "where.createdAtGT"},
			{`query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`,
				map[string]any{"w": map[string]any{"or": []any{map[string]any{"createdAtLT": secret}}}}, "where.or[0].createdAtLT"},
			{`query($t: Time) { merchants(first: 1, where: {hasProductsWith: [{createdAtGTE: $t}]}) { totalCount } }`,
				map[string]any{"t": 5}, "where.hasProductsWith[0].createdAtGTE"},
		},
		"Date": {
			{`mutation { login(input: {phone: "13812345678", code: "123456", birthDate: "` + secret + `"}) { token } }`, nil, "input.birthDate"},
			{`mutation($d: Date) { login(input: {phone: "13812345678", code: "123456", birthDate: $d}) { token } }`,
				map[string]any{"d": 20040302}, "input.birthDate"},
		},
		"Upload": {
			{`mutation { createPost(input: {text: "x", images: ["abc"]}) { id } }`, nil, "input.images[0]"},
			{`mutation($i: [Upload!]) { createPost(input: {text: "x", images: $i}) { id } }`,
				map[string]any{"i": []any{secret}}, "input.images[0]"},
		},
		"Int": {
			{`query($n: Int) { products(first: $n) { totalCount } }`, map[string]any{"n": "x"}, "$n"},
			{`query($n: Int) { products(first: $n) { totalCount } }`, map[string]any{"n": 1.5}, "$n"},
		},
		"Float": {
			{`query($r: Float) { products(first: 1, where: {ratingGTE: $r}) { totalCount } }`, map[string]any{"r": "x"}, "$r"},
		},
		"String": {
			{`query($s: String) { products(first: 1, search: $s) { totalCount } }`, map[string]any{"s": []any{1}}, "$s"},
		},
		"Boolean": {
			{`query($b: Boolean) { products(first: 1, where: {studentOnly: $b}) { totalCount } }`, map[string]any{"b": secret}, "$b"},
		},
	}
	// Input objects and enums, beyond scalars.
	others := []bad{
		{`{ products(first: 1, where: {hasReviewsWith: [{}]}) { totalCount } }`, nil, "where.hasReviewsWith"},
		{`{ products(first: 1, where: {and: [{priceFenGT: 1}, {not: {}}]}) { totalCount } }`, nil, "where.and.not"},
		{`{ merchants(first: 1, where: {or: [{hasProductsWith: [{hasReviewsWith: [{}]}]}]}) { totalCount } }`, nil,
			"where.or.hasProductsWith.hasReviewsWith"},
		{`query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"category": secret}}, "$w.category"},
		{`query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"nope": 1}}, "$w.nope"},
	}

	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var scalars []string
	for name, def := range schema.Types {
		if def.Kind == ast.Scalar {
			scalars = append(scalars, name)
		}
	}
	slices.Sort(scalars)
	for _, s := range scalars {
		if len(byScalar[s]) == 0 {
			t.Errorf("scalar %s has no bad-input case", s)
		}
	}
	for s := range byScalar {
		if !slices.Contains(scalars, s) {
			t.Errorf("scalar %s is not in the schema", s)
		}
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		token := e.Login(t, "13812345678")
		check := func(name string, b bad) {
			t.Helper()
			before := len(errorLines(e))
			r := e.Post(t, token, b.query, b.vars)
			if len(r.Errors) == 0 {
				t.Errorf("%s: %s: no error", name, b.query)
				return
			}
			er := r.Errors[0]
			if er.Extensions["code"] != "BAD_USER_INPUT" || er.Extensions["field"] != b.field {
				t.Errorf("%s: %s %v: %+v, want BAD_USER_INPUT naming %s", name, b.query, b.vars, er, b.field)
			}
			if body := raw(t, r); strings.Contains(body, secret) {
				t.Errorf("%s: the value is echoed: %s", name, body)
			}
			if l := errorLines(e); len(l) > before {
				t.Errorf("%s: %s: logged as an error: %v", name, b.query, l[before:])
			}
		}
		for _, s := range scalars {
			for _, b := range byScalar[s] {
				check(s, b)
			}
		}
		for _, b := range others {
			check("input", b)
		}
		// Every where input refuses an empty nested object the same way.
		for name, def := range schema.Types {
			if !strings.HasSuffix(name, "WhereInput") || def.Fields.ForName("not") == nil {
				continue
			}
			q, field := emptyNotQuery(schema, name)
			if q == "" {
				t.Errorf("%s: no query field takes it", name)
				continue
			}
			check(name, bad{q, nil, field})
		}
	})
}

// emptyNotQuery is a query with {not: {}} in the where input named input,
// at the root of a connection or one edge below, and the field it names.
func emptyNotQuery(schema *ast.Schema, input string) (query, field string) {
	for _, f := range schema.Query.Fields {
		a := f.Arguments.ForName("where")
		if a == nil {
			continue
		}
		if a.Type.Name() == input {
			return `{ ` + f.Name + `(first: 1, where: {not: {}}) { totalCount } }`, "where.not"
		}
		for _, in := range schema.Types[a.Type.Name()].Fields {
			if in.Type.Elem != nil && in.Type.Name() == input {
				return `{ ` + f.Name + `(first: 1, where: {` + in.Name + `: [{not: {}}]}) { totalCount } }`, "where." + in.Name + ".not"
			}
		}
	}
	return "", ""
}

// A database failure loading nodes is no "not found": INTERNAL at each
// index it hit, logged, while the other nodes load.
func TestNodesDatabaseFailureIsInternal(t *testing.T) {
	var armed atomic.Bool
	wrap := func(d dialect.Driver) dialect.Driver { return failingDriver{Driver: d, armed: &armed, table: "posts"} }
	testdb.EachWith(t, testdb.Options{WrapDriver: wrap}, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Login(t, "13812345678")
		author := e.UserID(t, "13812345678")
		p, err := db.Client.Post.Create().SetAuthorID(author).SetText("x").Save(system.Context(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		armed.Store(true)
		defer armed.Store(false)
		r := e.Post(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []string{e.Codec.EncodeID(author), e.Codec.EncodeID(p.ID)}})
		var got struct{ Nodes []*struct{ ID string } }
		if err := json.Unmarshal(r.Data, &got); err != nil || len(got.Nodes) != 2 || got.Nodes[0] == nil || got.Nodes[1] != nil {
			t.Fatalf("nodes: %s %v", r.Data, err)
		}
		if len(r.Errors) != 1 || r.Code() != "INTERNAL" || fmt.Sprint(r.Errors[0].Path) != "[nodes 1]" {
			t.Fatalf("errors: %+v", r.Errors)
		}
		if len(errorLines(e)) != 1 {
			t.Fatalf("want one ERROR line: %s", e.Logs.String())
		}
	})
}

type failingDriver struct {
	dialect.Driver
	armed *atomic.Bool
	table string
}

func (d failingDriver) Query(ctx context.Context, q string, args, v any) error {
	if d.armed.Load() && (strings.Contains(q, `"`+d.table+`"`) || strings.Contains(q, "`"+d.table+"`")) {
		return errors.New("connection reset")
	}
	return d.Driver.Query(ctx, q, args, v)
}

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tongxue/tongxue/graph"
)

func testSchema() *ast.Schema { return graph.NewExecutableSchema(graph.Config{}).Schema() }

// rep joins n pieces made by f.
func rep(n int, f func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(f(i))
		b.WriteByte(' ')
	}
	return b.String()
}

// nest wraps leaf in n levels of field.
func nest(n int, field, leaf string) string {
	return strings.Repeat(field+" { ", n) + leaf + strings.Repeat(" }", n)
}

// shapeOf runs the checks made before validation on query and variables.
func shapeOf(query string, vars map[string]any) *gqlerror.Error {
	return requestLimits{}.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: query, Variables: vars})
}

func wantRefusal(t *testing.T, name string, err *gqlerror.Error, code string, limit, measured int) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: refused: %v %v", name, err.Message, err.Extensions)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: allowed, want %s", name, code)
		return
	}
	if err.Extensions["code"] != code || err.Extensions["limit"] != limit ||
		(measured >= 0 && err.Extensions["measured"] != measured) {
		t.Errorf("%s: %s %v, want %s limit %d measured %d", name, err.Message, err.Extensions, code, limit, measured)
	}
	if !strings.Contains(err.Message, fmt.Sprint(limit)) || !strings.Contains(err.Message, fmt.Sprint(err.Extensions["measured"])) &&
		!strings.Contains(err.Message, "more than") {
		t.Errorf("%s: the message does not name the limit and the measure: %s", name, err.Message)
	}
}

// introspectionQuery is GraphiQL's (graphql-js getIntrospectionQuery with
// every option on, and one more ofType level than graphql-js 16 asks for).
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

func TestShapeLimits(t *testing.T) {
	const complex, deep = "QUERY_TOO_COMPLEX", "QUERY_TOO_DEEP"
	// fragments f0 … f(n-1), each spreading the next under two fields:
	// 2^n leaves.
	doubling := func(n int) string {
		return "{ ...f0 } " + rep(n, func(i int) string {
			return fmt.Sprintf("fragment f%d on T { a { ...f%d } b { ...f%d } }", i, i+1, i+1)
		}) + fmt.Sprintf("fragment f%d on T { c }", n)
	}
	where := func(n int) string { // n input objects deep
		return strings.Repeat("{and: [", n-1) + "{name: \"x\"}" + strings.Repeat("]}", n-1)
	}
	for _, c := range []struct {
		name, query    string
		code           string
		limit, measure int
	}{
		{"home read", `{ products(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name
			merchant { id name } reviews(first: 5) { totalCount edges { node { id text author { nickname } } } } } } } }`, "", 0, 0},
		{"introspection", introspectionQuery, "", 0, 0},
		{"depth 12", "{ " + nest(11, "a", "b") + " }", "", 0, 0},
		{"depth 13", "{ " + nest(12, "a", "b") + " }", deep, maxDepth, 13},
		{"depth 13 through fragments", "{ a { ...F } } fragment F on A { " + nest(10, "b", "...G") + " } fragment G on B { c { d } }", deep, maxDepth, 13},
		{"100 fields", "{ me { " + rep(100, func(i int) string { return fmt.Sprintf("a%d: id", i) }) + "} }", "", 0, 0},
		{"101 fields", "{ me { " + rep(101, func(i int) string { return fmt.Sprintf("a%d: id", i) }) + "} }", complex, maxFieldsPerSet, 101},
		{"101 fields through fragments", "{ me { ...A ...B b: id } } fragment A on User { " + rep(50, func(i int) string { return fmt.Sprintf("a%d: id", i) }) +
			"} fragment B on User { " + rep(50, func(i int) string { return fmt.Sprintf("b%d: id", i) }) + "}", complex, maxFieldsPerSet, 101},
		{"fields merged by name", "{ " + rep(20, func(int) string {
			return "x: me { " + rep(6, func(j int) string { return fmt.Sprintf("f%d: id", j) }) + "}"
		}) + "}",
			complex, maxFieldsPerSet, 120},
		{"2,000 same-named fields", "{ me { " + rep(2000, func(i int) string { return fmt.Sprintf("id(a: %d)", i) }) + "} }", complex, maxFieldsPerSet, 2000},
		{"selections after fragment expansion", "{ " + rep(30, func(i int) string { return fmt.Sprintf("p%d: products(first: 1) { ...C }", i) }) + "} " +
			"fragment C on ProductConnection { edges { node { ...P } } } fragment P on Product { " + rep(70, func(i int) string { return fmt.Sprintf("f%d: name", i) }) + "}",
			complex, maxSelections, 30*75 + 73 + 70},
		{"fragments doubling 2^10", doubling(10), complex, maxSelections, 15308},
		{"fragments doubling 2^40", doubling(40), complex, maxSelections, saturation},
		{"fragment cycle", "{ ...F } fragment F on Query { a { ...F } }", complex, maxSelections, -1},
		{"fragment self spread", "{ ...F } fragment F on Query { ...F a }", complex, maxSelections, -1},
		{"tokens", "{ " + rep(5001, func(int) string { return "a: b" }) + "}", complex, maxTokens, maxTokens + 1},
		{"where 4 deep", "{ products(first: 1, where: " + where(4) + ") { totalCount } }", "", 0, 0},
		{"where 5 deep", "{ products(first: 1, where: " + where(5) + ") { totalCount } }", deep, maxInputDepth, 5},
		{"hasProductWith 6 deep", `{ products(first: 1, where: {hasReviewsWith: [{hasProductWith: [{hasMerchantWith: [{hasProductsWith: [{not: {name: "x"}}]}]}]}]}) { totalCount } }`,
			deep, maxInputDepth, 6},
		{"variable default 5 deep", "query($w: ProductWhereInput = " + where(5) + ") { products(first: 1, where: $w) { totalCount } }", deep, maxInputDepth, 5},
		{"input in a fragment", "{ ...F } fragment F on Query { products(first: 1, where: " + where(6) + ") { totalCount } }", deep, maxInputDepth, 6},
		{"unparsable", "{ me { ", "", 0, 0}, // the executor reports GRAPHQL_PARSE_FAILED
	} {
		start := time.Now()
		err := shapeOf(c.query, nil)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: %v", c.name, d)
		}
		wantRefusal(t, c.name, err, c.code, c.limit, c.measure)
	}

	// Variables are measured before they are coerced.
	vars := func(n int) map[string]any {
		var v any = map[string]any{"name": "x"}
		for range n - 1 {
			v = map[string]any{"and": []any{v}}
		}
		return map[string]any{"w": v, "n": 3}
	}
	q := "query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }"
	wantRefusal(t, "variable 4 deep", shapeOf(q, vars(4)), "", 0, 0)
	wantRefusal(t, "variable 5 deep", shapeOf(q, vars(5)), deep, maxInputDepth, 5)
}

// Within the limits, validation stays cheap: these are the worst shapes we
// found (outside them, the same shapes took up to 5 s to validate).
func TestValidationIsCheapWithinLimits(t *testing.T) {
	schema := testSchema()
	conflicting := func(i int) string { return fmt.Sprintf("x: reviews(first: %d) { totalCount }", i%3+1) }
	for name, q := range map[string]string{
		"100 conflicting fields": "{ products(first: 1) { edges { node { " + rep(100, conflicting) + "} } } }",
		"100 × a chain of 11": "{ " + rep(100, func(int) string {
			return "x: products(first: 1) { y: edges { z: node { a: merchant { b: products(first: 1) { c: edges { d: node { e: merchant { f: products(first: 1) { g: totalCount } } } } } } } } }"
		}) + "}",
		"10 × 10": "{ " + rep(10, func(int) string {
			return "x: products(first: 1) { y: edges { z: node { " + rep(10, conflicting) + "} } }"
		}) + "}",
		"30 × 3": "{ " + rep(30, func(int) string {
			return "x: products(first: 1) { y: edges { " + rep(3, func(int) string { return "z: node { " + conflicting(0) + " }" }) + "} }"
		}) + "}",
		"99 fragments": "{ products(first: 1) { " + rep(99, func(i int) string { return fmt.Sprintf("...F%d", i) }) + "} } " +
			rep(99, func(i int) string { return fmt.Sprintf("fragment F%d on ProductConnection { x: totalCount }", i) }),
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkShape(doc); err != nil {
			t.Fatalf("%s: refused: %s", name, err.Message)
		}
		start := time.Now()
		validator.ValidateWithRules(schema, doc, rules.NewDefaultRules())
		d := time.Since(start)
		t.Logf("%s: validated in %v", name, d)
		if d > time.Second {
			t.Errorf("%s: validation took %v", name, d)
		}
	}
}

// costOf validates query and measures its cost as MutateOperationContext
// does.
func costOf(t *testing.T, schema *ast.Schema, query string, vars map[string]any) (int, *gqlerror.Error) {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	c := costWalker{vars: coerced, frags: doc.Fragments}
	n := c.set(op.SelectionSet, noPage)
	return n, requestLimits{}.MutateOperationContext(context.Background(), &graphql.OperationContext{Doc: doc, Operation: op, Variables: coerced})
}

func TestCost(t *testing.T) {
	schema := testSchema()
	home := `query($n: Int!, $r: Int!) { products(first: $n) { totalCount pageInfo { hasNextPage endCursor } edges { node {
		id name priceFen merchant { id name campus } reviews(first: $r) { totalCount edges { node { id text author { nickname } } } } } } } }`
	for _, c := range []struct {
		query string
		vars  map[string]any
		want  int
		code  string
	}{
		// products 1 + pageInfo 1 + 50 × (edge 1 + node 1 + merchant 1 + reviews (1 + 5 × (edge, node, author)))
		{home, map[string]any{"n": 50, "r": 5}, 952, ""},
		{home, map[string]any{"n": 100, "r": 3}, 1302, ""},
		{home, map[string]any{"n": 100, "r": 100}, 30402, "QUERY_TOO_COMPLEX"},
		{`{ merchants(first: 100) { edges { node { products(first: 20) { edges { node { name } } } } } } }`, nil, 4301, ""},
		// The 228-byte query of issue 8, cut to 10 levels.
		{`{merchants(first:100){edges{node{products(first:100){edges{node{reviews(first:100){edges{node{text}}}}}}}}}}`, nil, 2030301, "QUERY_TOO_COMPLEX"},
		// Fragments count at each spread, in their connection's page.
		{`{ a: products(first: 10) { ...C } b: products(first: 20) { ...C } } fragment C on ProductConnection { edges { node { merchant { name } } } }`, nil, 1 + 10*3 + 1 + 20*3, ""},
		// A list without a page argument counts defaultListSize; limit counts
		// as the resolvers clamp it; nodes counts its ids.
		{`{ myOrders(limit: 500) { items { name } } }`, nil, 100 * (1 + defaultListSize), ""},
		{`{ myAddresses { id } }`, nil, defaultListSize, ""},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"a", "b", "c"}}, 3, ""},
		// Scalars and introspection are free.
		{`{ __schema { types { fields { args { type { ofType { name } } } } } } }`, nil, 0, ""},
		// Paging is checked here too.
		{`{ products(first: 101) { totalCount } }`, nil, 1, "BAD_USER_INPUT"},
		{`fragment F on Product { reviews { totalCount } } { products(first: 1) { edges { node { ...F } } } }`, nil, 0, "BAD_USER_INPUT"},
	} {
		n, err := costOf(t, schema, c.query, c.vars)
		if c.code != "BAD_USER_INPUT" && n != c.want {
			t.Errorf("%s %v: cost %d, want %d", c.query, c.vars, n, c.want)
		}
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: refused: %s", c.query, err.Message)
		case c.code != "" && (err == nil || err.Extensions["code"] != c.code):
			t.Errorf("%s: %v, want %s", c.query, err, c.code)
		case c.code == "QUERY_TOO_COMPLEX":
			wantRefusal(t, c.query, err, c.code, maxCost, c.want)
		}
	}
}

// Every example in the README passes the limits.
func TestREADMEExamplesPassTheLimits(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	schema := testSchema()
	ops := 0
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatchIndex(string(raw), -1) {
		block := string(raw[m[2]:m[3]])
		doc, err := parser.ParseQuery(&ast.Source{Input: block})
		if err != nil {
			t.Fatalf("README block does not parse: %v\n%s", err, block)
		}
		offset := strings.Count(string(raw[:m[2]]), "\n")
		for _, op := range doc.Operations {
			ops++
			line := offset + op.Position.Line
			one := &ast.QueryDocument{Operations: ast.OperationList{op}, Fragments: doc.Fragments}
			if err := checkShape(one); err != nil {
				t.Errorf("README.md:%d: %s", line, err.Message)
			}
			if errs := validator.Validate(schema, one); errs != nil {
				t.Logf("README.md:%d does not validate (not a limit): %v", line, errs)
				continue
			}
			c := costWalker{frags: doc.Fragments}
			n := c.set(op.SelectionSet, noPage)
			if err := (requestLimits{}).MutateOperationContext(context.Background(), &graphql.OperationContext{Doc: one, Operation: op}); err != nil {
				t.Errorf("README.md:%d: %s", line, err.Message)
			}
			t.Logf("README.md:%d: cost %d", line, n)
		}
	}
	if ops < 30 {
		t.Fatalf("only %d operations found in the README", ops)
	}
}

// BenchmarkLimitHooks is what the limits do on each home read in the
// steady state: a cache lookup and the variables' depth before parsing,
// the cost walk after validation. BenchmarkHomeReadLimits (limits_bench_test.go)
// puts it beside the whole request.
func BenchmarkLimitHooks(b *testing.B) {
	schema := testSchema()
	query := `query Home($n: Int!) { products(first: $n, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount
		pageInfo { hasNextPage endCursor } edges { node { id name priceFen images rating studentOnly merchant { id name campus }
		reviews(first: 5, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount
		edges { node { id rating text createdAt author { nickname avatarURL } } } } } } } }`
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		b.Fatal(errs)
	}
	cache := graphql.MapCache[*ast.QueryDocument]{}
	cache.Add(context.Background(), query, doc)
	l := requestLimits{queries: cache}
	vars := map[string]any{"n": json.Number("50")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.MutateOperationParameters(ctx, &graphql.RawParams{Query: query, Variables: vars}); err != nil {
			b.Fatal(err)
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
		if err := l.MutateOperationContext(ctx, oc); err != nil {
			b.Fatal(err)
		}
	}
}

// The playground's (GraphiQL's) introspection query measures its type
// fragments on their own, where TypeRef nests ofType 8 deep: a fragment on
// an introspection type is spread only inside __schema/__type, whose depth
// is not counted, so it passes however deep it nests.
func TestIntrospectionFragmentsPassTheDepthLimit(t *testing.T) {
	nest := "kind name"
	for range 9 {
		nest = "kind name ofType { " + nest + " }"
	}
	q := `query IntrospectionQuery { __schema { types { ...FullType } } }
fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { ` + nest + ` }`
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkShape(doc); err != nil {
		t.Fatalf("GraphiQL's introspection query refused: %v", err)
	}
	// The same depth in a fragment on a schema type is still refused.
	deep := "id"
	for range 13 {
		deep = "merchant { products(first: 1) { edges { node { " + deep + " } } } }"
	}
	doc, err = parser.ParseQuery(&ast.Source{Input: `{ products(first: 1) { edges { node { ...P } } } } fragment P on Product { ` + deep + ` }`})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkShape(doc); err == nil || err.Extensions["code"] != "QUERY_TOO_DEEP" {
		t.Fatalf("a deep fragment on Product passed: %v", err)
	}
}

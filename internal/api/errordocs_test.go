package api_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	gql "github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/internal/apitest"
)

// The schema says which codes each mutation can answer (its description's
// last line, "Errors: A, B."); apitest.CheckErrorCodes holds every response
// of the suite to those lines. These tests keep the lines complete and true
// to the catalogue and the directives, and show that the check fails.

func errorDocs(t *testing.T) *apitest.ErrorDocs {
	t.Helper()
	d, err := apitest.LoadErrorDocs()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mutationFields(d *apitest.ErrorDocs) []*gql.FieldDefinition {
	var out []*gql.FieldDefinition
	for _, f := range d.Schema.Mutation.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

func TestEveryMutationDocumentsItsErrors(t *testing.T) {
	d := errorDocs(t)
	for _, p := range d.Problems {
		t.Error(p)
	}
	fields := mutationFields(d)
	if len(fields) < 30 {
		t.Fatalf("found %d mutations in schema/", len(fields))
	}
	for _, f := range fields {
		if _, ok := d.Fields[f.Name]; !ok {
			t.Errorf("Mutation.%s: end its description with the line Errors: CODE, CODE. (sorted; see type Mutation in schema/tongxue.graphql)", f.Name)
		}
	}
}

// catalogue is the value of every Code constant in apperr's codes.go.
func catalogue(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "infra", "apperr", "codes.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" || len(v.Values) != 1 {
				continue
			}
			if lit, ok := v.Values[0].(*ast.BasicLit); ok {
				c, _ := strconv.Unquote(lit.Value)
				codes = append(codes, c)
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("codes.go holds %d codes", len(codes))
	}
	return codes
}

func TestDocumentedErrorsAreCatalogueCodes(t *testing.T) {
	d := errorDocs(t)
	known := catalogue(t)
	lists := map[string][]string{"Mutation (any)": d.Any, "Mutation (@reveal)": d.Reveal,
		"Mutation (arguments)": d.Arguments, "Mutation (before it runs)": d.Request}
	for name, codes := range lists {
		if len(codes) == 0 {
			t.Errorf("%s: the Errors line is missing", name)
		}
	}
	for name, codes := range d.Fields {
		lists["Mutation."+name] = codes
	}
	for name, codes := range lists {
		for _, c := range codes {
			if !slices.Contains(known, c) {
				t.Errorf("%s lists %s, which is not a code of internal/infra/apperr/codes.go", name, c)
			}
		}
	}
}

// refusingScalars are the scalars whose own check refuses a value at the
// argument's path with BAD_USER_INPUT (internal/api/errors.go).
var refusingScalars = []string{"ID", "Date", "Time", "Cursor", "Upload"}

func TestDirectivesImplyDocumentedErrors(t *testing.T) {
	d := errorDocs(t)
	for _, f := range mutationFields(d) {
		codes, ok := d.Fields[f.Name]
		if !ok {
			continue // TestEveryMutationDocumentsItsErrors reports it
		}
		want := func(code, why string) {
			if !slices.Contains(codes, code) {
				t.Errorf("Mutation.%s: %s, so its Errors: line lists %s", f.Name, why, code)
			}
		}
		if a := f.Directives.ForName("auth"); a != nil {
			want("UNAUTHENTICATED", "it has @auth")
			if r := a.Arguments.ForName("roles"); r != nil && len(r.Value.Children) > 0 {
				want("FORBIDDEN", "its @auth names roles")
			}
		}
		if f.Directives.ForName("consent") != nil {
			want("CONSENT_REQUIRED", "it has @consent")
		}
		if f.Directives.ForName("policyExempt") == nil {
			want("POLICY_UPDATE_REQUIRED", "it is not @policyExempt (the policy gate)")
		}
		for _, a := range f.Arguments {
			if s := refusingArgument(d.Schema, a.Type, map[string]bool{}); s != "" {
				want("BAD_USER_INPUT", "its argument "+a.Name+" holds a "+s)
			}
		}
	}
}

// refusingArgument names a refusing scalar typ is or holds, or "".
func refusingArgument(s *gql.Schema, typ *gql.Type, seen map[string]bool) string {
	name := typ.Name()
	if slices.Contains(refusingScalars, name) {
		return name
	}
	def := s.Types[name]
	if def == nil || def.Kind != gql.InputObject || seen[name] {
		return ""
	}
	seen[name] = true
	for _, f := range def.Fields {
		if r := refusingArgument(s, f.Type, seen); r != "" {
			return r
		}
	}
	return ""
}

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestUndocumentedMutationErrorFailsTheTest(t *testing.T) {
	d := errorDocs(t)
	// A code of the catalogue that logout does not document.
	undocumented := ""
	for _, c := range catalogue(t) {
		if !d.Allowed("logout", c, true, true, true) {
			undocumented = c
			break
		}
	}
	if undocumented == "" {
		t.Fatal("logout documents every code")
	}
	// A fake server answers what a test describes; the real client reads it.
	var answer string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer))
	}))
	defer fake.Close()
	const reveal = `mutation { login(input: {phone: "1", code: "1"}) { account { phone @reveal } } }`
	for _, c := range []struct {
		name, query, path, code string
		fails                   bool
	}{
		{"undocumented", `mutation { logout }`, `["logout"]`, undocumented, true},
		{"through an alias", `mutation { bye: logout }`, `["bye"]`, undocumented, true},
		{"through a fragment", `mutation { ...F } fragment F on Mutation { bye: logout }`, `["bye"]`, undocumented, true},
		{"documented", `mutation { logout }`, `["logout"]`, "UNAUTHENTICATED", false},
		{"any mutation's", `mutation { logout }`, `["logout"]`, "INTERNAL", false},
		{"a query's", `query { logout: me { id } }`, `["logout"]`, undocumented, false},
		{"at a revealed field", reveal, `["login", "account", "phone"]`, "VERIFICATION_REQUIRED", false},
		{"at a field not revealed", strings.Replace(reveal, " @reveal", "", 1), `["login", "account", "phone"]`, "VERIFICATION_REQUIRED", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			answer = `{"data": null, "errors": [{"message": "m", "path": ` + c.path + `, "extensions": {"code": "` + c.code + `"}}]}`
			req, _ := http.NewRequest(http.MethodPost, fake.URL, strings.NewReader(`{"query": `+strconv.Quote(c.query)+`}`))
			req.Header.Set("Content-Type", "application/json")
			rec := &recorder{TB: t}
			(&apitest.Env{}).Send(rec, req)
			switch {
			case c.fails && (len(rec.errs) != 1 || !strings.Contains(rec.errs[0], c.code)):
				t.Errorf("%s answering %s: recorded %q, want one error naming the code", c.query, c.code, rec.errs)
			case !c.fails && len(rec.errs) > 0:
				t.Errorf("%s answering %s: recorded %q, want none", c.query, c.code, rec.errs)
			}
		})
	}
}

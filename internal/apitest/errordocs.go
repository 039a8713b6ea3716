package apitest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tongxue/tongxue/graph"
)

// The schema documents which codes each mutation can answer: its
// description ends with "Errors: A, B." (issue 10). The Mutation type's own
// description says what any mutation may answer besides, in lines told apart
// by what follows "Errors" (see ErrorDocs). Every response the test client
// receives is held to those lines (CheckErrorCodes), so a mutation that
// answers a code its line does not list fails the suite.

// The qualifiers of the Mutation type's Errors lines.
const (
	docAny       = ""                                            // Errors: ... at the mutation's path
	docReveal    = "at a field asked for with @reveal"           // Errors at a field asked for with @reveal: ...
	docArguments = "at a field of the result, for its arguments" // Errors at a field of the result, for its arguments: ...
	docRequest   = "before the operation runs, with no path"     // Errors before the operation runs, with no path: ...
)

// ErrorDocs is what schema/*.graphql says about the codes of mutations.
type ErrorDocs struct {
	Schema *ast.Schema
	// Fields holds the codes of each Mutation field whose description ends
	// with a well-formed Errors: line.
	Fields map[string][]string
	// Any mutation may answer these at its path.
	Any []string
	// Reveal: a field asked for with @reveal, at its own path.
	Reveal []string
	// Arguments: a field inside the result that takes arguments (a cursor,
	// a filter), at its own path.
	Arguments []string
	// Request: refusals before any field runs; they have no path.
	Request []string
	// Problems are malformed or misplaced Errors lines.
	Problems []string
}

var errorsLine = regexp.MustCompile(`^Errors(?: ([^:]+))?: ([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*)\.$`)

// LoadErrorDocs reads the Errors lines of the schema the server is built
// from (graph's, parsed from schema/*.graphql), once.
var LoadErrorDocs = sync.OnceValues(func() (*ErrorDocs, error) {
	return readErrorDocs(graph.NewExecutableSchema(graph.Config{}).Schema())
})

// readErrorDocs reads the Errors lines of schema's Mutation type.
func readErrorDocs(schema *ast.Schema) (*ErrorDocs, error) {
	if schema.Mutation == nil {
		return nil, fmt.Errorf("error docs: the schema has no Mutation type")
	}
	d := &ErrorDocs{Schema: schema, Fields: map[string][]string{}}
	d.readTypeLines(schema.Mutation.Description)
	for _, f := range schema.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		switch codes, problem := fieldLine(f.Description); {
		case problem != "":
			d.Problems = append(d.Problems, "Mutation."+f.Name+": "+problem)
		case codes != nil:
			d.Fields[f.Name] = codes
		}
	}
	return d, nil
}

// fieldLine reads the Errors: line a field's description ends with: no
// codes and no problem when it has no such line at all.
func fieldLine(desc string) ([]string, string) {
	lines := strings.Split(strings.TrimSpace(desc), "\n")
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Errors") {
			n++
		}
	}
	m := errorsLine.FindStringSubmatch(strings.TrimSpace(lines[len(lines)-1]))
	switch {
	case n == 0:
		return nil, ""
	case n > 1 || m == nil || m[1] != "":
		return nil, `end the description with one line "Errors: CODE, CODE."`
	}
	return codesOf(m[2])
}

func (d *ErrorDocs) readTypeLines(desc string) {
	seen := map[string]bool{}
	for _, l := range strings.Split(desc, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "Errors") {
			continue
		}
		m := errorsLine.FindStringSubmatch(l)
		var dst *[]string
		if m != nil {
			dst = map[string]*[]string{docAny: &d.Any, docReveal: &d.Reveal, docArguments: &d.Arguments, docRequest: &d.Request}[m[1]]
		}
		if dst == nil || seen[m[1]] {
			d.Problems = append(d.Problems, fmt.Sprintf("Mutation: %q is not one of its Errors lines", l))
			continue
		}
		seen[m[1]] = true
		codes, problem := codesOf(m[2])
		if problem != "" {
			d.Problems = append(d.Problems, "Mutation: "+problem)
		}
		*dst = codes
	}
	if !seen[docAny] {
		d.Problems = append(d.Problems, "Mutation: its description says what any mutation may answer in a line Errors: CODE, CODE.")
	}
}

func codesOf(list string) ([]string, string) {
	codes := strings.Split(list, ", ")
	if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
		return codes, "list the codes sorted, each once: " + list
	}
	return codes, ""
}

// Allowed reports whether the documents let the mutation field answer
// code at an error's path; nested says the path goes below the mutation's
// own field, reveal and args that the field there was asked for with
// @reveal or with arguments.
func (d *ErrorDocs) Allowed(field, code string, nested, reveal, args bool) bool {
	return slices.Contains(d.Fields[field], code) || slices.Contains(d.Any, code) ||
		(reveal && slices.Contains(d.Reveal, code)) ||
		(nested && args && slices.Contains(d.Arguments, code))
}

// CheckErrorCodes fails t for each error in errs (the response to req) at
// the path of a mutation whose Errors: line does not list its code. The
// operation is read from req's body (JSON or multipart) or its URL, so that
// aliases and @reveal are known; when it cannot be read, the first element
// of the path is taken as the field's name.
func CheckErrorCodes(t testing.TB, req *http.Request, errs []Error) {
	t.Helper()
	if !slices.ContainsFunc(errs, func(e Error) bool { return len(e.Path) > 0 }) {
		return // refusals before the operation ran: nothing to read
	}
	d, err := LoadErrorDocs()
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	op, doc, known := operationOf(req)
	if known && (op == nil || op.Operation != ast.Mutation) {
		return
	}
	for _, e := range errs {
		if len(e.Path) == 0 {
			continue
		}
		key, _ := e.Path[0].(string)
		at := walk{name: key}
		if known {
			at = walkPath(op.SelectionSet, doc, e.Path)
		}
		if d.Schema.Mutation.Fields.ForName(at.name) == nil || strings.HasPrefix(at.name, "__") {
			continue
		}
		code, _ := e.Extensions["code"].(string)
		if d.Allowed(at.name, code, at.nested, at.reveal, at.args) {
			continue
		}
		if _, ok := d.Fields[at.name]; !ok {
			t.Errorf("mutation %s answered %s at %v (%q): end its description in schema/ with the line Errors: CODE, CODE.",
				at.name, code, e.Path, e.Message)
		} else {
			t.Errorf("mutation %s answered %s at %v (%q), which its description's Errors: line in schema/ does not list",
				at.name, code, e.Path, e.Message)
		}
	}
}

// walk is what an error's path reaches in the operation.
type walk struct {
	name                 string // the mutation field's name
	nested, reveal, args bool
}

// walkPath follows path through the operation's selections by response key
// (aliases, fragments) to the field the error is at.
func walkPath(set ast.SelectionSet, doc *ast.QueryDocument, path []any) walk {
	var w walk
	var last []*ast.Field
	for i, p := range path {
		key, ok := p.(string)
		if !ok {
			continue // a list index
		}
		fields := fieldsFor(set, doc, key, 0)
		if len(fields) == 0 {
			break // an argument of the field reached, or nothing known
		}
		if i == 0 {
			w.name = fields[0].Name
		} else {
			w.nested = true
		}
		last, set = fields, nil
		for _, f := range fields {
			set = append(set, f.SelectionSet...)
		}
	}
	for _, f := range last {
		w.reveal = w.reveal || f.Directives.ForName("reveal") != nil
		w.args = w.args || len(f.Arguments) > 0
	}
	return w
}

// fieldsFor returns the fields of set answering under key.
func fieldsFor(set ast.SelectionSet, doc *ast.QueryDocument, key string, depth int) []*ast.Field {
	if depth > 8 {
		return nil
	}
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias == key || (s.Alias == "" && s.Name == key) {
				out = append(out, s)
			}
		case *ast.InlineFragment:
			out = append(out, fieldsFor(s.SelectionSet, doc, key, depth+1)...)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(s.Name); f != nil {
				out = append(out, fieldsFor(f.SelectionSet, doc, key, depth+1)...)
			}
		}
	}
	return out
}

// operationOf parses the operation req carried; known is false when its
// query could not be read.
func operationOf(req *http.Request) (op *ast.OperationDefinition, doc *ast.QueryDocument, known bool) {
	if req == nil {
		return nil, nil, false
	}
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if req.Method == http.MethodGet {
		p.Query, p.OperationName = req.URL.Query().Get("query"), req.URL.Query().Get("operationName")
	} else if !readParams(req, &p) {
		return nil, nil, false
	}
	if p.Query == "" {
		return nil, nil, false // a persisted query's hash only
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil, nil, true // not run: no error has a path
	}
	switch {
	case p.OperationName != "":
		op = doc.Operations.ForName(p.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	return op, doc, true
}

// readParams decodes the JSON body, or the operations part of a multipart
// request, of a copy of req's body.
func readParams(req *http.Request, p any) bool {
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	var ops io.Reader = body
	if mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt == "multipart/form-data" {
		part, err := multipart.NewReader(body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "operations" {
			return false
		}
		ops = part
	}
	raw, err := io.ReadAll(ops)
	return err == nil && json.Unmarshal(raw, p) == nil
}

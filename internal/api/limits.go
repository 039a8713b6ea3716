package api

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/paging"
)

// What one GraphQL request may cost, decided before it runs (issue 8).
//
// Two checks, both refusing with QUERY_TOO_DEEP or QUERY_TOO_COMPLEX and the
// extensions limit and measured:
//
//   - The shape of the document, before gqlgen parses and validates it:
//     gqlparser's OverlappingFieldsCanBeMerged is quadratic in the fields
//     that share a selection set (2,000 same-named fields took 16 s and
//     3.3 GB), so the raw query's tokens are counted, then it is parsed
//     (linear) and its depth, its size after fragment expansion, the nesting
//     of its input objects (literals and variables) and its widest selection
//     set (fields of one response name merged, as validation compares them)
//     are measured. A query found in the executor's query cache has passed
//     already: in the steady state the home read is not parsed twice.
//   - The cost of the operation, after validation, with its variables: how
//     many objects it can produce, each connection multiplying its edges by
//     its page size. This check also applies paging.Check to every
//     connection (ent loads nested connections eagerly with their parent, so
//     a check at resolve time would come after an unbounded load).
//
// Refusals are protocol errors, like GRAPHQL_VALIDATION_FAILED: POST answers
// 422 (400 to a client accepting application/graphql-response+json), GET
// answers as it does for validation errors, websockets send an error message.
const (
	// maxTokens bounds the text parsed before anything else is measured:
	// gqlparser parses a 1 MiB body of 350,000 fields in about 200 ms;
	// counting stops after 15,001 tokens (under 1 ms). The home read has 92
	// tokens, GraphiQL's introspection query about 200; 15,000 (the limit
	// gqlparser's own tests suggest) parses in a few ms.
	maxTokens = 15000
	// maxDepth is the deepest field nesting. The home read is 8 deep
	// (products edges node reviews edges node author nickname); 12 leaves
	// room for a few more levels, not for merchant → products → reviews →
	// product → merchant → … chains. Introspection subtrees are not measured:
	// the standard introspection query is 13 deep through ofType chains, and
	// gqlparser's MaxIntrospectionDepth bounds what is costly there.
	maxDepth = 12
	// maxFieldsPerSet is the most fields (aliases included, fragments merged
	// in, and the sub-selections of fields sharing a response name merged)
	// one selection set may hold. Validation compares the fields of such a
	// set pairwise; the home read's widest set has 8 fields.
	maxFieldsPerSet = 100
	// maxSelections is the most selections (fields, fragment spreads, inline
	// fragments) in the whole document, each fragment counted every time it
	// is spread, and fragment definitions counted too (validation walks each
	// of them on its own). The home read has 28, GraphiQL's introspection
	// query about 220. With maxFieldsPerSet it bounds validation to about
	// 10 ms in the worst shapes we found (TestValidationIsCheapWithinLimits;
	// the same shapes past the limits took up to 5 s).
	maxSelections = 2000
	// maxInputDepth is the deepest nesting of input objects in an argument
	// or variable: where: {hasProductWith: [{hasReviewsWith: [{...}]}]} is 3.
	// Each level of a where filter is a subquery in SQL.
	maxInputDepth = 4
	// maxCost is the most objects one operation may produce. The home read
	// (50 products, each with its merchant and 5 reviews with their authors,
	// totalCount, pageInfo) costs 952; 100 products with 3 reviews each cost
	// 1,302. 5,000 is about five home reads: a page of 100 merchants with 20
	// products each passes (4,301), 100 × 100 × 100 nested pages (the
	// 228-byte query that answered 25 MB after 16 s) cost over a million.
	maxCost = 5000
	// defaultListSize is what a list without a page argument (first, last or
	// limit) counts: such lists are small by construction (an order's items,
	// a cart's lines, one's addresses, consents and star cards).
	defaultListSize = 10
)

func init() {
	// gqlgen gives protocol errors (validation, parsing) their HTTP status;
	// these refusals are of that kind.
	errcode.RegisterErrorType(apperr.CodeQueryTooComplex, errcode.KindProtocol)
	errcode.RegisterErrorType(apperr.CodeQueryTooDeep, errcode.KindProtocol)
}

// requestLimits is the handler extension enforcing the limits above. Use it
// after AutomaticPersistedQuery, which fills in the query text.
type requestLimits struct {
	// queries is the executor's query cache: it holds only queries that
	// passed the shape check and validation.
	queries graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = requestLimits{}

func (requestLimits) ExtensionName() string                   { return "RequestLimits" }
func (requestLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the variables' input depth and the
// query's shape, before gqlgen parses and validates it.
func (l requestLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	for _, v := range p.Variables {
		if d := jsonDepth(v); d > maxInputDepth {
			return tooDeepInput(d)
		}
	}
	if p.Query == "" {
		return nil // the executor reports a missing query (or APQ did)
	}
	if l.queries != nil {
		if _, ok := l.queries.Get(ctx, p.Query); ok {
			return nil
		}
	}
	src := &ast.Source{Input: p.Query}
	if n := countTokens(src); n > maxTokens {
		return limitError(apperr.CodeQueryTooComplex, maxTokens, n,
			"the query has more than %d tokens; the limit is %d", maxTokens, maxTokens)
	}
	doc, err := parser.ParseQuery(src)
	if err != nil {
		return nil // the executor parses again and reports the syntax error
	}
	return checkShape(doc)
}

// countTokens counts src's tokens (comments included), stopping after
// maxTokens+1 or at a lexical error (which the executor reports).
func countTokens(src *ast.Source) int {
	l := lexer.New(src)
	n := 0
	for n <= maxTokens {
		tok, err := l.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			break
		}
		n++
	}
	return n
}

// MutateOperationContext checks page sizes and the operation's cost, with
// its variables.
func (requestLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	c := costWalker{vars: oc.Variables, frags: oc.Doc.Fragments}
	cost := c.set(oc.Operation.SelectionSet, noPage)
	if c.err != nil {
		gerr := gqlerror.Errorf("%s", c.err.Message)
		gerr.Extensions = map[string]any{"code": c.err.Code}
		for k, v := range c.err.Extensions {
			gerr.Extensions[k] = v
		}
		return gerr
	}
	if cost > maxCost {
		return limitError(apperr.CodeQueryTooComplex, maxCost, cost,
			"the query could produce %d objects (each connection counts its page size, a list without one %d); the limit is %d",
			cost, defaultListSize, maxCost)
	}
	return nil
}

func limitError(code string, limit, measured int, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": code, "limit": limit, "measured": measured},
	}
}

func tooDeepInput(d int) *gqlerror.Error {
	return limitError(apperr.CodeQueryTooDeep, maxInputDepth, d,
		"an argument nests input objects %d deep; the limit is %d", d, maxInputDepth)
}

// saturation bounds the counts: fragments spread in fragments grow
// exponentially, and page sizes multiply.
const saturation = math.MaxInt32

func add(a, b int) int { return min(a+b, saturation) }

func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturation/b {
		return saturation
	}
	return a * b
}

// shape is what checkShape measures of a selection set, fragments expanded.
type shape struct {
	fields   int // fields merged into this set, its own and its fragments'
	widest   int // fields of the widest set within (this one included)
	total    int // selections within, each fragment counted at every spread
	depth    int // field levels
	inputMax int // input object nesting in arguments
}

// checkShape measures a parsed, not yet validated document. Every operation
// and every fragment definition is measured (validation walks all of
// them); each fragment is measured once and its measure reused at every
// spread, so the work is linear in the document even when fragments spread
// fragments exponentially. A fragment spread inside itself counts nothing
// here; mergeWalk, which runs once the size is bounded, finds no end to its
// expansion and refuses it.
func checkShape(doc *ast.QueryDocument) *gqlerror.Error {
	m := shapeMeter{defs: make(map[string]*ast.FragmentDefinition, len(doc.Fragments))}
	for _, f := range doc.Fragments {
		if _, dup := m.defs[f.Name]; !dup {
			m.defs[f.Name] = f
		}
	}
	var all shape
	merge := func(s shape) {
		all.total = add(all.total, s.total)
		all.widest = max(all.widest, s.widest)
		all.depth = max(all.depth, s.depth)
		all.inputMax = max(all.inputMax, s.inputMax)
	}
	for _, op := range doc.Operations {
		s := m.set(op.SelectionSet)
		for _, v := range op.VariableDefinitions {
			s.inputMax = max(s.inputMax, valueDepth(v.DefaultValue), directivesDepth(v.Directives))
		}
		s.inputMax = max(s.inputMax, directivesDepth(op.Directives))
		merge(s)
	}
	for _, f := range doc.Fragments {
		if m.defs[f.Name] == f {
			merge(m.fragment(f.Name))
		} else {
			merge(m.set(f.SelectionSet)) // a duplicate name: validation refuses it, after walking it
		}
	}
	switch {
	case all.widest > maxFieldsPerSet:
		return limitError(apperr.CodeQueryTooComplex, maxFieldsPerSet, all.widest,
			"a selection set has %d fields (aliases and fragments included); the limit is %d", all.widest, maxFieldsPerSet)
	case all.total > maxSelections:
		return limitError(apperr.CodeQueryTooComplex, maxSelections, all.total,
			"the query has %d selections after fragment expansion (each fragment counted every time it is spread); the limit is %d",
			all.total, maxSelections)
	case all.depth > maxDepth:
		return limitError(apperr.CodeQueryTooDeep, maxDepth, all.depth,
			"the query nests fields %d deep; the limit is %d", all.depth, maxDepth)
	case all.inputMax > maxInputDepth:
		return tooDeepInput(all.inputMax)
	}
	// The size is bounded now: merge as the executor and validation do.
	w := mergeWalk{defs: m.defs}
	ok := true
	for _, op := range doc.Operations {
		ok = ok && w.sets([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		ok = ok && w.sets([]ast.SelectionSet{f.SelectionSet})
	}
	if !ok {
		return limitError(apperr.CodeQueryTooComplex, maxSelections, w.visited,
			"the query has more than %d selections after fragment expansion (a fragment spreads itself?); the limit is %d",
			maxSelections, maxSelections)
	}
	if w.widest > maxFieldsPerSet {
		return limitError(apperr.CodeQueryTooComplex, maxFieldsPerSet, w.widest,
			"a selection set has %d fields once fields of the same name are merged (aliases and fragments included); the limit is %d",
			w.widest, maxFieldsPerSet)
	}
	return nil
}

// mergeWalk measures the selection sets as the executor collects them and
// as validation compares them: the sub-selections of the fields sharing a
// response name are one set (20 fields x, each selecting 95 fields y, make
// a set of 1,900 fields y, compared pairwise: 330 ms of validation). It
// expands fragments at every spread, so it runs only after shapeMeter has
// bounded the expanded size; it stops after maxSelections visits, which only
// a fragment spread inside itself reaches (shapeMeter cuts cycles).
type mergeWalk struct {
	defs    map[string]*ast.FragmentDefinition
	visited int
	widest  int
}

// sets walks the union of sets; false when it stopped.
func (w *mergeWalk) sets(sets []ast.SelectionSet) bool {
	var names []string
	groups := map[string][]ast.SelectionSet{}
	width := 0
	var collect func(ast.SelectionSet) bool
	collect = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			if w.visited++; w.visited > maxSelections {
				return false
			}
			switch sel := sel.(type) {
			case *ast.Field:
				width++
				name := sel.Alias
				if name == "" {
					name = sel.Name
				}
				g, seen := groups[name]
				if !seen {
					names = append(names, name)
				}
				groups[name] = append(g, sel.SelectionSet)
			case *ast.InlineFragment:
				if !collect(sel.SelectionSet) {
					return false
				}
			case *ast.FragmentSpread:
				if def := w.defs[sel.Name]; def != nil && !collect(def.SelectionSet) {
					return false
				}
			}
		}
		return true
	}
	for _, set := range sets {
		if !collect(set) {
			return false
		}
	}
	w.widest = max(w.widest, width)
	for _, name := range names {
		children := groups[name][:0:0]
		for _, set := range groups[name] {
			if len(set) > 0 {
				children = append(children, set)
			}
		}
		if len(children) > 0 && !w.sets(children) {
			return false
		}
	}
	return true
}

type shapeMeter struct {
	defs   map[string]*ast.FragmentDefinition
	done   map[string]shape
	active map[string]bool
}

func (m *shapeMeter) set(set ast.SelectionSet) shape {
	var s shape
	// merged adds a fragment's fields to this set.
	merged := func(f shape) {
		s.fields = add(s.fields, f.fields)
		s.widest = max(s.widest, f.widest)
		s.total = add(s.total, add(1, f.total))
		s.depth = max(s.depth, f.depth)
		s.inputMax = max(s.inputMax, f.inputMax)
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			child := m.set(sel.SelectionSet)
			s.fields = add(s.fields, 1)
			s.widest = max(s.widest, child.widest)
			s.total = add(s.total, add(1, child.total))
			if sel.Name == "__schema" || sel.Name == "__type" {
				child.depth = 0 // introspection: see maxDepth
			}
			s.depth = max(s.depth, 1+child.depth)
			s.inputMax = max(s.inputMax, child.inputMax, argumentsDepth(sel.Arguments), directivesDepth(sel.Directives))
		case *ast.InlineFragment:
			f := m.set(sel.SelectionSet)
			f.inputMax = max(f.inputMax, directivesDepth(sel.Directives))
			merged(f)
		case *ast.FragmentSpread:
			f := m.fragment(sel.Name)
			f.inputMax = max(f.inputMax, directivesDepth(sel.Directives))
			merged(f)
		}
	}
	s.widest = max(s.widest, s.fields)
	return s
}

func (m *shapeMeter) fragment(name string) shape {
	if s, ok := m.done[name]; ok {
		return s
	}
	def := m.defs[name]
	if def == nil || m.active[name] {
		return shape{} // unknown or cyclic: validation refuses it
	}
	if m.active == nil {
		m.active, m.done = map[string]bool{}, map[string]shape{}
	}
	m.active[name] = true
	s := m.set(def.SelectionSet)
	s.inputMax = max(s.inputMax, directivesDepth(def.Directives))
	delete(m.active, name)
	m.done[name] = s
	return s
}

func argumentsDepth(args ast.ArgumentList) int {
	d := 0
	for _, a := range args {
		d = max(d, valueDepth(a.Value))
	}
	return d
}

func directivesDepth(dirs ast.DirectiveList) int {
	d := 0
	for _, dir := range dirs {
		d = max(d, argumentsDepth(dir.Arguments))
	}
	return d
}

// valueDepth is the input object nesting of a literal: lists are not levels.
func valueDepth(v *ast.Value) int {
	if v == nil || (v.Kind != ast.ObjectValue && v.Kind != ast.ListValue) {
		return 0
	}
	d := 0
	for _, c := range v.Children {
		d = max(d, valueDepth(c.Value))
	}
	if v.Kind == ast.ObjectValue {
		d++
	}
	return d
}

// jsonDepth is valueDepth of a variable's JSON value.
func jsonDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			d = max(d, jsonDepth(c))
		}
		d++
	case []any:
		for _, c := range v {
			d = max(d, jsonDepth(c))
		}
	}
	return d
}

// noPage marks a selection set that is not a connection's.
const noPage = -1

// costWalker measures a validated operation: each object-valued field
// counts 1 for each object it can produce; a connection counts 1, and the
// edges (or nodes) in its selection set count once per element of its page
// (first or last); any other list counts its first, last or limit argument,
// or the number of its ids, or defaultListSize. Scalars and introspection
// count nothing: they come with their object or from memory. A fragment is
// measured once per page context and reused at every spread.
type costWalker struct {
	vars   map[string]any
	frags  ast.FragmentDefinitionList
	done   map[costKey]int
	active map[costKey]bool
	err    *apperr.Error // the first page argument paging.Check refused
}

type costKey struct {
	name string
	page int
}

// set is the cost of a selection set; page is its connection's page size,
// or noPage.
func (c *costWalker) set(set ast.SelectionSet, page int) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n = add(n, c.field(sel, page))
		case *ast.InlineFragment:
			n = add(n, c.set(sel.SelectionSet, page))
		case *ast.FragmentSpread:
			n = add(n, c.fragment(sel.Name, page))
		}
		if c.err != nil {
			return n
		}
	}
	return n
}

func (c *costWalker) fragment(name string, page int) int {
	k := costKey{name, page}
	if n, ok := c.done[k]; ok {
		return n
	}
	def := c.frags.ForName(name)
	if def == nil || c.active[k] {
		return 0
	}
	if c.active == nil {
		c.active, c.done = map[costKey]bool{}, map[costKey]int{}
	}
	c.active[k] = true
	n := c.set(def.SelectionSet, page)
	delete(c.active, k)
	c.done[k] = n
	return n
}

func (c *costWalker) field(f *ast.Field, page int) int {
	if f.Definition == nil || len(f.SelectionSet) == 0 || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	t := f.Definition.Type
	if t.Elem == nil && strings.HasSuffix(t.NamedType, "Connection") {
		first, last := c.intArg(f, "first"), c.intArg(f, "last")
		if err := paging.Check(f.Name, first, last); err != nil {
			c.err, _ = apperr.As(err)
			return 0
		}
		size := 0
		for _, v := range []*int{first, last} {
			if v != nil {
				size = max(size, *v)
			}
		}
		return add(1, c.set(f.SelectionSet, size))
	}
	size := 1
	if t.Elem != nil {
		size = c.listSize(f, page)
	}
	return mul(size, add(1, c.set(f.SelectionSet, noPage)))
}

// listSize is how many elements a list field counts.
func (c *costWalker) listSize(f *ast.Field, page int) int {
	if page != noPage {
		return page // a connection's edges or nodes
	}
	for _, name := range []string{"first", "last"} {
		if v := c.intArg(f, name); v != nil {
			return max(*v, 0)
		}
	}
	if v := c.intArg(f, "limit"); v != nil {
		return paging.Clamp(*v) // what the resolvers apply
	}
	if a := f.Arguments.ForName("ids"); a != nil {
		if ids, err := a.Value.Value(c.vars); err == nil {
			if l, ok := ids.([]any); ok {
				return len(l)
			}
		}
	}
	return defaultListSize
}

// intArg is the integer value of f's argument name (given, by variable, or
// by default), or nil.
func (c *costWalker) intArg(f *ast.Field, name string) *int {
	var v any
	if a := f.Arguments.ForName(name); a != nil {
		v, _ = a.Value.Value(c.vars)
	} else if d := f.Definition.Arguments.ForName(name); d != nil && d.DefaultValue != nil {
		v, _ = d.DefaultValue.Value(nil)
	}
	return intArg(v)
}

// quietRules are the production validation rules with every rule that
// suggests names ("Did you mean …?") replaced by its variant that does not:
// suggestions spell out the schema that production keeps to itself.
// gqlgen's SetDisableSuggestion swaps only FieldsOnCorrectType and
// ScalarLeafs; gqlparser v2.5.64 has quiet variants of three more.
func quietRules() *rules.Rules {
	r := productionRules()
	for _, q := range []core.Rule{
		rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.ScalarLeafsRuleWithoutSuggestions,
		rules.KnownArgumentNamesRuleWithoutSuggestions,
		rules.KnownTypeNamesRuleWithoutSuggestions,
		rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
	} {
		r.RemoveRule(strings.TrimSuffix(q.Name, "WithoutSuggestions"))
		r.AddRule(q.Name, q.RuleFunc)
	}
	return r
}

// benchWithoutLimits makes NewGraphQLWith leave requestLimits out. Only
// BenchmarkHomeReadLimits sets it (limits_export_test.go), to measure what
// the limits cost.
var benchWithoutLimits bool

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

	"github.com/tongxue/tongxue/internal/infra/apperr"
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
	errcode.RegisterErrorType(string(apperr.CodeQueryTooComplex), errcode.KindProtocol)
	errcode.RegisterErrorType(string(apperr.CodeQueryTooDeep), errcode.KindProtocol)
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
		return nil //nolint:nilerr // the executor parses again and reports the syntax error
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
		gerr.Extensions = map[string]any{"code": string(c.err.Code)}
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

func limitError(code apperr.Code, limit, measured int, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": string(code), "limit": limit, "measured": measured},
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

package api

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/paging"
)

// pageLimits checks first/last on every connection field of an operation
// before it runs: ent loads nested connections eagerly with the parent, so
// a check at resolve time would come after an unbounded load.
type pageLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageLimits{}

func (pageLimits) ExtensionName() string                   { return "PageLimits" }
func (pageLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (pageLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	seen := map[string]bool{}
	if err := checkPages(oc, oc.Operation.SelectionSet, seen); err != nil {
		gerr := gqlerror.Errorf("%s", err.Message)
		gerr.Extensions = map[string]any{"code": err.Code}
		for k, v := range err.Extensions {
			gerr.Extensions[k] = v
		}
		return gerr
	}
	return nil
}

func checkPages(oc *graphql.OperationContext, set ast.SelectionSet, seen map[string]bool) *apperr.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && strings.HasSuffix(s.Definition.Type.Name(), "Connection") {
				args := s.ArgumentMap(oc.Variables)
				if err := paging.Check(s.Name, intArg(args["first"]), intArg(args["last"])); err != nil {
					e, _ := apperr.As(err)
					return e
				}
			}
			if err := checkPages(oc, s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := checkPages(oc, s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := oc.Doc.Fragments.ForName(s.Name); f != nil {
				if err := checkPages(oc, f.SelectionSet, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func intArg(v any) *int {
	switch n := v.(type) {
	case int:
		return &n
	case int64:
		i := int(n)
		return &i
	case json.Number:
		if i, err := n.Int64(); err == nil {
			j := int(i)
			return &j
		}
	case float64:
		i := int(n)
		return &i
	}
	return nil
}

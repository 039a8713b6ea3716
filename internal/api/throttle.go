package api

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/infra/throttle"
)

// throttleOperations charges every operation (query, mutation,
// subscription start, over HTTP or a websocket) to its client's budgets
// before it runs: a logged-in client by session, an anonymous one by client
// IP, expensive mutations by user as well (internal/infra/throttle). A refused
// operation runs no resolver at all, so a mutation never half happens; the
// answer is the error RATE_LIMITED with extensions.retryAfter in seconds.
//
// It answers HTTP 200, as for every error found once the operation is
// known: gqlgen's transports choose the status before any extension can
// (only parse and validation failures get 4xx), and a websocket has no
// status to set. Clients read retryAfter.
//
// It must run inside the operation middleware that refreshes a websocket's
// viewer, so a socket whose session ended is charged as anonymous.
func throttleOperations(l *throttle.Limiter, present graphql.ErrorPresenterFunc) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if l == nil {
			return next(ctx)
		}
		c := throttle.Client{IP: reqinfo.FromContext(ctx).ClientIP}
		if v := auth.FromContext(ctx); v != nil {
			c.SessionID, c.UserID = v.SessionID, v.UserID
		}
		var op throttle.Operation
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil {
			var names []string
			if oc.Operation.Operation == ast.Mutation && c.UserID != 0 {
				names = make([]string, 0, 4)
			}
			op.RootFields, names = rootFields(oc.Operation.SelectionSet, names, 0)
			op.Mutations = names
		}
		if err := l.Admit(c, op); err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err)}})
		}
		return next(ctx)
	}
}

// rootFields counts the root fields of an operation, through fragments
// (every alias counts: `a: placeOrder b: placeOrder` is two orders) and,
// when names is not nil, appends their names. @skip and @include are not
// evaluated: a skipped field is charged too.
func rootFields(set ast.SelectionSet, names []string, depth int) (int, []string) {
	n := 0
	if depth > 8 { // fragments nest; validation has refused cycles already
		return n, names
	}
	for _, sel := range set {
		var k int
		switch s := sel.(type) {
		case *ast.Field:
			n++
			if names != nil {
				names = append(names, s.Name)
			}
		case *ast.InlineFragment:
			k, names = rootFields(s.SelectionSet, names, depth+1)
			n += k
		case *ast.FragmentSpread:
			if s.Definition != nil {
				k, names = rootFields(s.Definition.SelectionSet, names, depth+1)
				n += k
			}
		}
	}
	return n, names
}

package gqlexec

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// WithOperation gives an operation the state the executor's substitutes
// share: each query field's parsed arguments (Args) and whether a list was
// cut short when the request ended (MarshalSlice).
func WithOperation(ctx context.Context) context.Context {
	return context.WithValue(ctx, operationKey{}, &operation{args: map[*ast.Field]map[string]any{}})
}

type operationKey struct{}

type operation struct {
	mu      sync.Mutex // root fields resolve concurrently
	args    map[*ast.Field]map[string]any
	stopped atomic.Bool
}

func operationOf(ctx context.Context) *operation {
	op, _ := ctx.Value(operationKey{}).(*operation)
	return op
}

// Args returns the arguments of f, parsed by parse once per operation. A
// field under a list is the same query field for every element
// (reviews(first: 5) on each of 50 products), and its arguments are made of
// the document and the operation's variables only. The map is shared by
// every element that asks: resolvers read their arguments and never write
// them. An error is not kept, so each element reports it at its own path.
func Args(ctx context.Context, f *ast.Field, parse func() (map[string]any, error)) (map[string]any, error) {
	op := operationOf(ctx)
	if op == nil || f == nil {
		return parse()
	}
	op.mu.Lock()
	args, ok := op.args[f]
	op.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := parse()
	if err != nil {
		return nil, err
	}
	op.mu.Lock()
	op.args[f] = args
	op.mu.Unlock()
	return args, nil
}

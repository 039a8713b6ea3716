package gqlexec

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// WithArgs gives an operation a cache of field arguments (and the flag
// MarshalSlice keeps). A field under a
// list is the same query field for every element (reviews(first: 5) on each
// of 50 products): its arguments, made of the document and the operation's
// variables, are parsed once instead of once per element.
func WithArgs(ctx context.Context) context.Context {
	return context.WithValue(ctx, argsKey{}, &argsCache{m: map[*ast.Field]map[string]any{}})
}

type argsKey struct{}

type argsCache struct {
	mu      sync.Mutex // root fields resolve concurrently
	m       map[*ast.Field]map[string]any
	stopped atomic.Bool // MarshalSlice reported the context's end
}

// Args returns the arguments of f, parsed by parse once per operation. The
// map is shared by every element that asks: resolvers read their arguments
// and never write them. An error is not kept, so each element reports it at
// its own path, as before.
func Args(ctx context.Context, f *ast.Field, parse func() (map[string]any, error)) (map[string]any, error) {
	c, _ := ctx.Value(argsKey{}).(*argsCache)
	if c == nil || f == nil {
		return parse()
	}
	c.mu.Lock()
	args, ok := c.m[f]
	c.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := parse()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.m[f] = args
	c.mu.Unlock()
	return args, nil
}

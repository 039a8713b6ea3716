package gqlexec

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalSlice marshals a list's elements one after another on the
// caller's goroutine. It replaces gqlgen's MarshalSliceConcurrently, which
// starts a goroutine per element: our lists are loaded with their parent
// (field collection, per-page batches), so a goroutine per element buys no
// I/O overlap and costs a stack, its growth and the scheduler's time.
// A panic in one element nulls that element, as gqlgen's does.
//
// Once the request's context is done (the time limit, a client gone) the
// remaining elements are not built: they are null, and the request gets
// the context's error once.
func MarshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		if i&15 == 0 && ctx.Err() != nil {
			for j := i; j < length; j++ {
				ret[j] = graphql.Null
			}
			stopped(ctx)
			return ret
		}
		idx := i
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &idx})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		ret[i] = marshalOne(childCtx, i, marshalElement)
	}
	return ret
}

func marshalOne(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}

// stopped adds the context's error to the response once per operation
// (WithOperation), not once per list cut short.
func stopped(ctx context.Context) {
	if op := operationOf(ctx); op != nil && !op.stopped.CompareAndSwap(false, true) {
		return
	}
	graphql.AddError(ctx, ctx.Err())
}

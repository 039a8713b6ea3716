package gqlexec_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/internal/infra/gqlexec"
)

func responseCtx() context.Context {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	return gqlexec.WithOperation(ctx)
}

func render(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func TestMarshalSliceInOrderOnOneGoroutineWithIndexes(t *testing.T) {
	ctx := responseCtx()
	got := gqlexec.MarshalSlice(ctx, 40, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if fc := graphql.GetFieldContext(ctx); fc == nil || fc.Index == nil || *fc.Index != i {
			t.Fatalf("element %d: field context %+v", i, fc)
		}
		if i == 7 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	want := "[0,1,2,3,4,5,6,null,8"
	if s := render(got); s[:len(want)] != want {
		t.Fatalf("got %s", s)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 1 {
		t.Fatalf("a panicking element reports one error: %v", errs)
	}
}

func TestMarshalSliceStopsWhenTheRequestEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(responseCtx())
	built := 0
	inner := func(ctx context.Context, i int) graphql.Marshaler {
		built++
		if i == 20 {
			cancel()
		}
		return graphql.MarshalInt(i)
	}
	first := gqlexec.MarshalSlice(ctx, 100, 0, false, inner)
	second := gqlexec.MarshalSlice(ctx, 100, 0, false, inner)
	if built > 32 {
		t.Fatalf("built %d elements after the context ended", built)
	}
	if first[40] != graphql.Null || second[0] != graphql.Null {
		t.Fatalf("the rest must be null: %s / %s", render(first[40]), render(second[0]))
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("want the context's error once, got %v", errs)
	}
}

func TestArgsParsedOncePerOperationErrorsNotKept(t *testing.T) {
	ctx := responseCtx()
	f := &ast.Field{Name: "reviews"}
	parses := 0
	parse := func() (map[string]any, error) {
		parses++
		return map[string]any{"first": 5}, nil
	}
	for range 50 {
		if args, err := gqlexec.Args(ctx, f, parse); err != nil || args["first"] != 5 {
			t.Fatalf("%v %v", args, err)
		}
	}
	if parses != 1 {
		t.Fatalf("parsed %d times", parses)
	}
	fails := 0
	bad := func() (map[string]any, error) { fails++; return nil, errors.New("bad") }
	g := &ast.Field{Name: "other"}
	for range 3 {
		if _, err := gqlexec.Args(ctx, g, bad); err == nil {
			t.Fatal("want the error")
		}
	}
	if fails != 3 {
		t.Fatalf("an error is reported by every element: %d", fails)
	}
	// Another operation parses again.
	if _, err := gqlexec.Args(responseCtx(), f, parse); err != nil || parses != 2 {
		t.Fatalf("%d %v", parses, err)
	}
}

func TestObjectWritesFieldsInOrder(t *testing.T) {
	fields := []graphql.CollectedField{{Field: &ast.Field{Alias: "a"}}, {Field: &ast.Field{Alias: "b_2"}}}
	got := render(gqlexec.Object(fields, []graphql.Marshaler{graphql.MarshalString(`x"y`), graphql.Null}))
	if got != `{"a":"x\"y","b_2":null}` {
		t.Fatalf("got %s", got)
	}
	if got := render(gqlexec.Object(nil, nil)); got != "{}" {
		t.Fatalf("empty: %s", got)
	}
}

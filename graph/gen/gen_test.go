package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func generated(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../*.generated.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated files: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// A field the schema guards (@consent, @mask, @auth, @devicePermission)
// keeps its directive chain: it is never served directly, so privacy work
// is skipped only where the schema says a field is plain.
func TestGuardedFieldsAreNeverDirect(t *testing.T) {
	direct, guarded := 0, 0
	for name, src := range generated(t) {
		for _, f := range bytes.Split(src, []byte("\nfunc ")) {
			isDirect := bytes.Contains(f, []byte("direct: see graph/gen"))
			if isDirect {
				direct++
			}
			if bytes.Contains(f, []byte("ec.Directives.")) && bytes.HasPrefix(f, []byte("(ec *executionContext) _")) {
				guarded++
				if isDirect {
					t.Errorf("%s: a guarded field is served directly:\n%.300s", name, f)
				}
			}
		}
	}
	if direct == 0 || guarded == 0 {
		t.Fatalf("direct %d, guarded %d: the rewrite or this test no longer matches the generated code", direct, guarded)
	}
}

// The committed executor is the sequential one.
func TestExecutorIsSequential(t *testing.T) {
	for name, src := range generated(t) {
		for _, s := range []string{"MarshalSliceConcurrently(", "ResolveConcurrently(ec.OperationContext, &deferred"} {
			if bytes.Contains(src, []byte(s)) {
				t.Errorf("%s still calls %s", name, s)
			}
		}
	}
}

func TestDirectFieldsRewrite(t *testing.T) {
	src := []byte(`package graph
func (ec *executionContext) _T_name(ctx context.Context, field graphql.CollectedField, obj *ent.T) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_T_name(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.Name, nil
		},
		func(ctx context.Context, next graphql.Resolver) graphql.Resolver {
			return ec._fieldMiddleware(ctx, obj, next)
		},
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
			return ec.marshalNString2string(ctx, selections, v)
		},
		true,
		true,
	)
}`)
	leaf := knowledge{scalarContexts: map[string]bool{"fieldContext_T_name": true}, ctxMarshalers: map[string]bool{}}
	out := string(directFields(src, leaf))
	if !strings.Contains(out, "if len(field.Directives) == 0 {") ||
		!strings.Contains(out, "return ec.marshalNString2string(ctx, field.Selections, obj.Name)") {
		t.Fatalf("leaf not rewritten:\n%s", out)
	}
	// A marshaller that needs the context (sealed IDs) keeps the field context.
	leaf.ctxMarshalers["marshalNString2string"] = true
	if out := string(directFields(src, leaf)); !strings.Contains(out, "ctx = graphql.WithFieldContext(ctx, fc)") {
		t.Fatalf("context marshaller without field context:\n%s", out)
	}
	// A guarded field's middleware is not the bare one: untouched.
	guarded := bytes.Replace(src, []byte("return ec._fieldMiddleware(ctx, obj, next)"),
		[]byte("directive0 := next\n\t\t\treturn ec._fieldMiddleware(ctx, obj, directive0)"), 1)
	if out := directFields(guarded, leaf); !bytes.Equal(out, guarded) {
		t.Fatalf("guarded field rewritten:\n%s", out)
	}
}

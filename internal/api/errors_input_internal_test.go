package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/infra/gid"
)

// An error gqlgen raised reading an argument is the client's; one at the
// field's own path (a resolver's) or below a name that is no argument is
// not, and neither is a server fault met while reading (no codec).
func TestArgumentErrorsAreTheClients(t *testing.T) {
	var logs strings.Builder
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	def := &ast.FieldDefinition{Name: "products", Arguments: ast.ArgumentDefinitionList{
		{Name: "where", Type: ast.NamedType("ProductWhereInput", nil)},
	}}
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
		Field: graphql.CollectedField{Field: &ast.Field{Alias: "products", Name: "products", Definition: def}},
	})
	at := func(err error, path ...any) error {
		var p ast.Path
		for _, e := range path {
			switch e := e.(type) {
			case string:
				p = append(p, ast.PathName(e))
			case int:
				p = append(p, ast.PathIndex(e))
			}
		}
		return gqlerror.WrapPath(p, err)
	}
	cases := []struct {
		err         error
		code, field string
	}{
		{at(errors.New("time should be RFC3339Nano formatted string"), "products", "where", "or", 0, "createdAtLT"), "BAD_USER_INPUT", "where.or[0].createdAtLT"},
		{at(errors.New("13812345678 is not a valid Category"), "products", "where", "category"), "BAD_USER_INPUT", "where.category"},
		{at(fmt.Errorf("scalar: %w", gid.ErrNoCodec), "products", "where", "id"), "INTERNAL", ""},
		{at(errors.New("db down"), "products"), "INTERNAL", ""},
		{at(errors.New("db down"), "products", "edges"), "INTERNAL", ""},
		{at(errors.New("db down"), "other", "where"), "INTERNAL", ""},
		{fmt.Errorf("paginate: %w", fmt.Errorf("%w: field 'HasReviewsWith'", fmt.Errorf("%w: field 'not'",
			errors.New("ent: empty predicate ReviewWhereInput")))), "BAD_USER_INPUT", "where.hasReviewsWith.not"},
	}
	for _, c := range cases {
		logs.Reset()
		got := present(ctx, c.err)
		field, _ := got.Extensions["field"].(string)
		if got.Extensions["code"] != c.code || field != c.field {
			t.Errorf("%v: presented %q %v, want %s %q", c.err, got.Message, got.Extensions, c.code, c.field)
		}
		if strings.Contains(got.Message, "13812345678") {
			t.Errorf("%v: the value is echoed: %q", c.err, got.Message)
		}
		if logged := strings.Contains(logs.String(), "level=ERROR"); logged != (c.code == "INTERNAL") {
			t.Errorf("%v: logged %v: %s", c.err, logged, logs.String())
		}
	}
}

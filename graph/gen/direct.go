package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// A field whose generated resolver only reads a value from its object
// (`return obj.Name, nil`), with no schema directive (@consent, @mask, @auth:
// those wrap the resolver, and the pattern below does not match them), is
// served directly when the query puts no directive on it (@reveal, @include,
// …): the value is marshalled without gqlgen's per-field closures, panic
// guard and middleware chain. A leaf whose marshaller needs no context needs
// no field context either (no child paths, and a value type cannot be null);
// every other direct field keeps its field context, so errors below it carry
// their full path. The graph uses no field middleware (AroundFields), which
// these fields would bypass.

var fieldFunc = regexp.MustCompile(`^\(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\S+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.(fieldContext_\w+)\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return (obj\.\w+), nil
		\},
		func\(ctx context\.Context, next graphql\.Resolver\) graphql\.Resolver \{
			return ec\._fieldMiddleware\(ctx, obj, next\)
		\},
		func\(ctx context\.Context, selections ast\.SelectionSet, v ([^)]+)\) graphql\.Marshaler \{
			return ec\.(marshal[^(\s]+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}`)

// knowledge is what the rewrite needs to know of functions across files.
type knowledge struct {
	scalarContexts map[string]bool // fieldContext_* functions of leaves
	ctxMarshalers  map[string]bool // marshal* functions whose value needs the context
}

var funcName = regexp.MustCompile(`^\(ec \*executionContext\) ([^(\s]+)\(`)

func survey(srcs [][]byte) knowledge {
	k := knowledge{scalarContexts: map[string]bool{}, ctxMarshalers: map[string]bool{}}
	for _, src := range srcs {
		for _, f := range bytes.Split(src, []byte("\nfunc ")) {
			m := funcName.FindSubmatch(f)
			if m == nil {
				continue
			}
			name := string(m[1])
			switch {
			case strings.HasPrefix(name, "fieldContext_") && bytes.Contains(f, []byte("graphql.NewScalarFieldContext(")):
				k.scalarContexts[name] = true
			case strings.HasPrefix(name, "marshal") && bytes.Contains(f, []byte("ContextMarshaler")):
				k.ctxMarshalers[name] = true
			}
		}
	}
	return k
}

func directFields(src []byte, k knowledge) []byte {
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, f := range funcs {
		m := fieldFunc.FindSubmatch(f)
		if m == nil {
			continue
		}
		fieldCtx, value, typ, marshal := string(m[3]), string(m[4]), string(m[5]), string(m[6])
		var direct string
		if k.scalarContexts[fieldCtx] && !k.ctxMarshalers[marshal] && isValueType(typ) {
			direct = fmt.Sprintf("\t\treturn ec.%s(ctx, field.Selections, %s)\n", marshal, value)
		} else if k.scalarContexts[fieldCtx] || strings.HasPrefix(typ, "*") || strings.HasPrefix(typ, "[]") {
			direct = fmt.Sprintf(`		fc, err := ec.%s(ctx, field)
		if err != nil {
			return graphql.Null
		}
		ctx = graphql.WithFieldContext(ctx, fc)
		v := %s
		fc.Result = v
		return ec.%s(ctx, field.Selections, v)
`, fieldCtx, value, marshal)
		} else {
			continue // an interface may hold nil, which ResolveField reports itself
		}
		open := bytes.IndexByte(f, '{') + 1
		funcs[i] = append([]byte(string(f[:open])+"\n\tif len(field.Directives) == 0 { // direct: see graph/gen/direct.go\n"+direct+"\t}"), f[open:]...)
	}
	return bytes.Join(funcs, []byte("\nfunc "))
}

// isValueType reports whether a Go type in generated code is neither a
// pointer, slice, map nor an interface we can name.
func isValueType(t string) bool {
	switch {
	case strings.HasPrefix(t, "*"), strings.HasPrefix(t, "[]"), strings.HasPrefix(t, "map["),
		t == "any", t == "interface{}", strings.HasSuffix(t, "Noder"):
		return false
	}
	return true
}

// fieldArgs is where a generated field context parses its arguments.
var fieldArgs = regexp.MustCompile(`if fc\.Args, err = ec\.(field_[^(\s]+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\); err != nil \{`)

// cachedArgs parses each query field's arguments once per operation
// (gqlexec.Args), not once per list element.
func cachedArgs(src []byte) []byte {
	return fieldArgs.ReplaceAll(src, []byte(`if fc.Args, err = gqlexec.Args(ctx, field.Field, func() (map[string]any, error) {
		return ec.$1(ctx, field.ArgumentMap(ec.Variables))
	}); err != nil {`))
}

package resolvers_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/resolvers"
)

// Every resolver reads the viewer in one way: auth.Require with its error
// returned, or auth.FromContext with a nil check where a viewer is optional
// (me, privacyPolicy.accepted). This calls every method of every resolver
// with no viewer in the context and arguments as gqlgen could pass them;
// one that dereferences a viewer it did not require panics here.
func TestResolversRunWithoutAViewer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		root := reflect.ValueOf(resolvers.New(e.Services))
		calls := 0
		for i := 0; i < root.NumMethod(); i++ {
			m := root.Type().Method(i)
			if m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || !strings.HasSuffix(m.Type.Out(0).Name(), "Resolver") {
				continue // not a getter of a type's resolver (Query(), Account(), ...)
			}
			iface := m.Type.Out(0)
			r := root.Method(i).Call(nil)[0].Elem()
			if !r.IsValid() {
				t.Fatalf("%s() returns no resolver", m.Name)
			}
			for j := 0; j < iface.NumMethod(); j++ {
				name := m.Name + "." + iface.Method(j).Name
				if err := callAnonymously(r.MethodByName(iface.Method(j).Name)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				calls++
			}
		}
		if calls < 100 {
			t.Fatalf("called %d resolvers: the walk missed them", calls)
		}
	})
}

// callAnonymously calls fn with a context holding no viewer and each other
// argument non-nil and empty, as gqlgen passes a non-null argument.
func callAnonymously(fn reflect.Value) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel() // ends subscriptions the call started
	in := []reflect.Value{reflect.ValueOf(ctx)}
	for k := 1; k < fn.Type().NumIn(); k++ {
		in = append(in, emptyValue(fn.Type().In(k)))
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panics without a viewer: %v", p)
		}
	}()
	out := fn.Call(in)
	if e, ok := out[len(out)-1].Interface().(error); ok && strings.Contains(e.Error(), "nil pointer") {
		return e
	}
	return nil
}

func emptyValue(t reflect.Type) reflect.Value {
	if t.Kind() == reflect.Pointer {
		return reflect.New(t.Elem())
	}
	return reflect.Zero(t)
}

// The one way, read from the source: auth.Require's error is the next
// statement's check, and auth.FromContext's viewer is compared with nil
// before anything else. A resolver that ignores either fails here even when
// its arguments would stop it before the viewer is used.
func TestResolversCheckTheViewerTheyRead(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	reads := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			block, ok := n.(*ast.BlockStmt)
			if !ok {
				return true
			}
			for i, st := range block.List {
				as, ok := st.(*ast.AssignStmt)
				if !ok || len(as.Rhs) != 1 {
					continue
				}
				fn := authCall(as.Rhs[0])
				if fn == "" {
					continue
				}
				reads++
				var next ast.Stmt
				if i+1 < len(block.List) {
					next = block.List[i+1]
				}
				want := ""
				switch fn {
				case "Require":
					if len(as.Lhs) == 2 {
						want = identName(as.Lhs[1]) + " != nil"
					}
				case "FromContext":
					want = identName(as.Lhs[0]) + " == nil"
				}
				if want == "" || want[0] == '_' || !checks(next, want) {
					t.Errorf("%s: auth.%s must be followed by `if %s`", fset.Position(as.Pos()), fn, want)
				}
			}
			return true
		})
	}
	if reads < 40 {
		t.Fatalf("found %d viewer reads: the walk missed them", reads)
	}
}

// authCall names the auth function called by e (Require, FromContext) or "".
func authCall(e ast.Expr) string {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "auth" {
		return ""
	}
	if sel.Sel.Name == "Require" || sel.Sel.Name == "FromContext" {
		return sel.Sel.Name
	}
	return ""
}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "_"
}

// checks reports whether st is `if <cond> {` with cond printed as want.
func checks(st ast.Stmt, want string) bool {
	is, ok := st.(*ast.IfStmt)
	if !ok {
		return false
	}
	b, ok := is.Cond.(*ast.BinaryExpr)
	return ok && identName(b.X)+" "+b.Op.String()+" "+identName(b.Y) == want
}

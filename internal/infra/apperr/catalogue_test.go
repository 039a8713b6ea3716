package apperr_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"
)

// entry is one of codes.go's Code constants.
type entry struct{ name, value, doc string }

// catalogue reads codes.go's Code constants: name, value and line comment.
func catalogue(t *testing.T) []entry {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" || len(v.Names) != 1 || len(v.Values) != 1 {
				t.Errorf("%s: declare one Code per line (Name Code = \"VALUE\" // what it means)", fset.Position(v.Pos()))
				continue
			}
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: the value is a string literal", v.Names[0].Name)
				continue
			}
			value, _ := strconv.Unquote(lit.Value)
			doc := ""
			if v.Comment != nil {
				doc = strings.TrimSpace(v.Comment.Text())
			}
			out = append(out, entry{v.Names[0].Name, value, doc})
		}
	}
	return out
}

var codeValue = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

// TestCatalogue: every code has a description (README's table is made
// from it), a SCREAMING_SNAKE value, and no two constants share a value.
func TestCatalogue(t *testing.T) {
	codes := catalogue(t)
	if len(codes) < 10 {
		t.Fatalf("codes.go holds %d codes", len(codes))
	}
	seen := map[string]string{}
	for _, c := range codes {
		if c.doc == "" || strings.Contains(c.doc, "\n") {
			t.Errorf("%s: give it a one-line comment saying what the client should understand or do", c.name)
		}
		if !codeValue.MatchString(c.value) {
			t.Errorf("%s = %q: codes are SCREAMING_SNAKE_CASE", c.name, c.value)
		}
		if prev, ok := seen[c.value]; ok {
			t.Errorf("%s and %s are both %q", prev, c.name, c.value)
		}
		seen[c.value] = c.name
		if !strings.HasPrefix(c.name, "Code") {
			t.Errorf("%s: name codes Code...", c.name)
		}
	}
	// Codes gqlgen raises itself must be spelled as gqlgen spells them
	// (PERSISTED_QUERY_NOT_FOUND is unexported in gqlgen's apq.go).
	for _, c := range []string{errcode.ParseFailed, errcode.ValidationFailed, "PERSISTED_QUERY_NOT_FOUND"} {
		if _, ok := seen[c]; !ok {
			t.Errorf("gqlgen's %s is not in the catalogue", c)
		}
	}
}

// TestNoCodeLiterals: outside this package a code is always one of the
// catalogue's constants, never a string literal the compiler would quietly
// convert to a Code. It also checks that extensions.code is stored as a
// plain string: gqlgen (errcode.GetErrorKind) and the operation log read it
// with .(string), so a Code there would change the HTTP status.
func TestNoCodeLiterals(t *testing.T) {
	root := filepath.Join("..", "..")
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules" || name == "data" || name == "bin") ||
				path == filepath.Join(root, "internal", "apperr") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			// Another change in progress; the compiler reports it.
			t.Logf("skipping %s: %v", path, err)
			return nil
		}
		if !ast.IsGenerated(f) {
			files[path] = f
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d Go files under %s", len(files), root)
	}
	var found []string
	for _, f := range sortedFiles(files) {
		found = append(found, codeLiterals(fset, files[f], codeParams(files))...)
	}
	for _, v := range found {
		t.Error(v)
	}
}

func sortedFiles(files map[string]*ast.File) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestCodeLiteralsFound: the scan finds each form it forbids, and passes
// the allowed ones.
func TestCodeLiteralsFound(t *testing.T) {
	const src = `package p

import (
	ae "github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/99designs/gqlgen/graphql/errcode"
)

const bad ae.Code = "BAD_1"

func writeError(w any, status int, code ae.Code, msg string) {}

func f(gerr *gqlerror.Error) {
	_ = ae.New("BAD_2", "x")
	_ = ae.Code("BAD_3")
	_ = &ae.Error{Code: "BAD_4"}
	writeError(nil, 400, "BAD_5", "x")
	errcode.Set(gerr, "BAD_6")
	gerr.Extensions = map[string]any{"code": "BAD_7"}
	_ = gqlerror.Error{Extensions: map[string]any{"code": ae.CodeInternal}} // BAD_8: not a string
	gerr.Extensions["code"] = "BAD_9"

	_ = ae.New(ae.CodeConflict, "fine")
	writeError(nil, 400, ae.CodeBadRequest, "FINE")
	gerr.Extensions = map[string]any{"code": string(ae.CodeTimeout), "field": "FINE"}
	_ = map[string]string{"code": "123456"} // an SMS template's parameter
	_ = ae.CodeOf(nil) == "CONFLICT"        // comparing is fine
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := codeLiterals(fset, f, codeParams(map[string]*ast.File{"p.go": f}))
	if len(got) != 9 {
		t.Errorf("found %d, want 9:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := 1; i <= 9; i++ {
		if !slices.ContainsFunc(got, func(s string) bool {
			return strings.Contains(s, "p.go:"+strconv.Itoa(lineOf(src, "BAD_"+strconv.Itoa(i)))+":")
		}) {
			t.Errorf("BAD_%d not found", i)
		}
	}
}

func lineOf(src, s string) int {
	return strings.Count(src[:strings.Index(src, s)], "\n") + 1
}

// codeParams finds, by name, the functions and methods with a parameter of
// type apperr.Code and the parameter's index.
func codeParams(files map[string]*ast.File) map[string][]int {
	out := map[string][]int{}
	for _, f := range files {
		pkg := apperrName(f)
		if pkg == "" {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			i := 0
			for _, p := range fd.Type.Params.List {
				n := max(len(p.Names), 1)
				if isCodeType(p.Type, pkg) {
					for j := range n {
						out[fd.Name.Name] = append(out[fd.Name.Name], i+j)
					}
				}
				i += n
			}
		}
	}
	return out
}

// apperrName is the name f imports internal/infra/apperr as, "" if it does not.
func apperrName(f *ast.File) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "github.com/tongxue/tongxue/internal/infra/apperr" {
			if im.Name != nil {
				return im.Name.Name
			}
			return "apperr"
		}
	}
	return ""
}

func isCodeType(e ast.Expr, pkg string) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(s.X, pkg) && s.Sel.Name == "Code"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isStringLit(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING
}

func isCodeKey(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING && l.Value == `"code"`
}

// codeLiterals lists the places in f that make a code out of a string
// literal, or store extensions.code as something other than a string.
func codeLiterals(fset *token.FileSet, f *ast.File, params map[string][]int) []string {
	pkg := apperrName(f)
	var out []string
	report := func(n ast.Node, what string) {
		out = append(out, fset.Position(n.Pos()).String()+": "+what+": use a constant of internal/infra/apperr/codes.go (add one there, with its description)")
	}
	extensions := func(e ast.Expr) {
		m, ok := e.(*ast.CompositeLit)
		if !ok {
			return
		}
		for _, el := range m.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok || !isCodeKey(kv.Key) {
				continue
			}
			if isStringLit(kv.Value) {
				report(kv, "extensions code written as a literal")
			} else if c, ok := kv.Value.(*ast.CallExpr); !ok || !isIdent(c.Fun, "string") {
				out = append(out, fset.Position(kv.Pos()).String()+": extensions code must be a plain string: write string(code)")
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if s, ok := n.Fun.(*ast.SelectorExpr); ok && pkg != "" && isIdent(s.X, pkg) && (s.Sel.Name == "New" || s.Sel.Name == "Code") &&
				len(n.Args) > 0 && isStringLit(n.Args[0]) {
				report(n, pkg+"."+s.Sel.Name+" with a literal")
			}
			if s, ok := n.Fun.(*ast.SelectorExpr); ok && isIdent(s.X, "errcode") && s.Sel.Name == "Set" && len(n.Args) == 2 && isStringLit(n.Args[1]) {
				report(n, "errcode.Set with a literal")
			}
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			for _, i := range params[name] {
				if i < len(n.Args) && isStringLit(n.Args[i]) {
					report(n.Args[i], name+" given a literal code")
				}
			}
		case *ast.CompositeLit:
			if s, ok := n.Type.(*ast.SelectorExpr); ok && pkg != "" && isIdent(s.X, pkg) && s.Sel.Name == "Error" {
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Code") && isStringLit(kv.Value) {
						report(kv, pkg+".Error with a literal code")
					}
				}
			}
		case *ast.KeyValueExpr:
			if isIdent(n.Key, "Extensions") {
				extensions(n.Value)
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if i >= len(n.Rhs) {
					break
				}
				switch l := l.(type) {
				case *ast.SelectorExpr:
					if l.Sel.Name == "Extensions" {
						extensions(n.Rhs[i])
					}
				case *ast.IndexExpr:
					if s, ok := l.X.(*ast.SelectorExpr); ok && s.Sel.Name == "Extensions" && isCodeKey(l.Index) && isStringLit(n.Rhs[i]) {
						report(n, "extensions code written as a literal")
					}
				}
			}
		case *ast.ValueSpec:
			if isCodeType(n.Type, pkg) {
				for _, v := range n.Values {
					if isStringLit(v) {
						report(v, "a Code declared outside the catalogue")
					}
				}
			}
		}
		return true
	})
	return out
}

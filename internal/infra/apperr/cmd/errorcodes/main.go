// Command errorcodes writes README.md's table of error codes from the
// catalogue, internal/infra/apperr/codes.go: each Code constant and its line
// comment. Run from the repository root (make error-codes); -check only
// reports a stale table (make test).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
)

// The table sits between these lines of README.md.
const (
	begin = "<!-- error-codes:begin (make error-codes writes this table from internal/infra/apperr/codes.go) -->"
	end   = "<!-- error-codes:end -->"
)

func main() {
	codes := flag.String("codes", "internal/infra/apperr/codes.go", "the catalogue")
	readme := flag.String("readme", "README.md", "the file holding the table")
	check := flag.Bool("check", false, "fail when the table is stale instead of writing it")
	flag.Parse()
	if err := run(*codes, *readme, *check); err != nil {
		fmt.Fprintln(os.Stderr, "errorcodes:", err)
		os.Exit(1)
	}
}

func run(codesPath, readmePath string, check bool) error {
	src, err := os.ReadFile(codesPath)
	if err != nil {
		return err
	}
	table, err := Table(src)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	updated, err := Splice(old, table)
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	switch {
	case bytes.Equal(old, updated):
		return nil
	case check:
		return fmt.Errorf("%s's error code table is stale: run make error-codes", readmePath)
	}
	return os.WriteFile(readmePath, updated, 0o644)
}

// Table is the Markdown table of the Code constants in src (codes.go), in
// their order: the code and its line comment.
func Table(src []byte) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| `extensions.code` | meaning |\n|---|---|\n")
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			if len(v.Values) != 1 || v.Comment == nil {
				return "", fmt.Errorf("%s: one Code per line, with a line comment", v.Names[0].Name)
			}
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return "", fmt.Errorf("%s: the value is a string literal", v.Names[0].Name)
			}
			code, err := strconv.Unquote(lit.Value)
			if err != nil {
				return "", err
			}
			doc := strings.ReplaceAll(strings.TrimSpace(v.Comment.Text()), "|", `\|`)
			fmt.Fprintf(&b, "| `%s` | %s |\n", code, doc)
			n++
		}
	}
	if n == 0 {
		return "", errors.New("no Code constants found")
	}
	return b.String(), nil
}

// Splice puts table between the marker lines of readme.
func Splice(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	i := strings.Index(s, begin+"\n")
	j := strings.Index(s, "\n"+end)
	if i < 0 || j < i {
		return nil, fmt.Errorf("the lines %q and %q are missing", begin, end)
	}
	i += len(begin) + 1
	return []byte(s[:i] + table + s[j+1:]), nil
}

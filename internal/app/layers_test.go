package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/tongxue/tongxue/"

// layer ranks internal/'s folders: a package may import only its own layer
// or those below it (README "Architecture").
var layer = map[string]int{"infra": 0, "partners": 1, "domain": 2, "tools": 3}

// The map in README holds: infra imports no partner or domain, partners no
// domain, domains no tool, and nothing below the edge imports the edge
// (api, app, seed, apitest) or the generated executor and resolvers.
func TestImportsPointDown(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		from, ok := layer[strings.Split(filepath.ToSlash(rel), "/")[0]]
		if !ok {
			return nil // the edge may import anything
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			p = strings.TrimPrefix(p, module)
			switch {
			case strings.HasPrefix(p, "graph") || strings.HasPrefix(p, "resolvers"):
				t.Errorf("internal/%s imports %s: only the edge may use the executor", rel, p)
			case strings.HasPrefix(p, "internal/"):
				top := strings.Split(p, "/")[1]
				to, ok := layer[top]
				if !ok {
					t.Errorf("internal/%s imports the edge (%s)", rel, p)
				} else if to > from {
					t.Errorf("internal/%s imports %s: an import may not point up a layer", rel, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d files: the walk missed the layers", checked)
	}
}

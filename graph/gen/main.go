// Command gen runs gqlgen with the project's one change to the executor it
// writes: fields and list elements below the root resolve on the caller's
// goroutine.
//
// gqlgen resolves every field whose method takes a context, and every
// element of a list of objects, on a goroutine of its own. Our data comes
// loaded with its parent (ent field collection, per-page batches), so those
// goroutines overlap no I/O; on the home read they were a third of the CPU
// (stack growth, scheduling, the garbage they leave). Root fields stay
// concurrent: each is a separate read.
//
// Run by `make generate` (generate.go), never by hand.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err == nil {
		err = api.Generate(cfg, api.AddPlugin(sequential{}))
	}
	if err == nil {
		err = rewrite(cfg.Exec.Dir())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

// sequential turns off per-field goroutines on every non-root object.
type sequential struct{}

func (sequential) Name() string { return "sequential" }

func (sequential) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if !o.Root {
			o.DisableConcurrency = true
		}
	}
	return nil
}

// rewrite edits what gqlgen's templates offer no hook for, in the
// generated executor files:
//   - list marshalling goes to gqlexec's sequential MarshalSlice (same
//     signature);
//   - an object resolved sequentially no longer builds a @defer group it
//     cannot use (only concurrent fields are deferred): building one
//     computes the object's path, an allocation per object;
//   - a field that only reads a Go value (directFields) skips the resolver
//     machinery when the query puts no directive on it;
//   - a field's arguments are parsed once per operation (cachedArgs).
//
// Finding no list call to rewrite fails, so a gqlgen upgrade that renames
// it cannot pass silently.
func rewrite(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return err
	}
	srcs := make([][]byte, len(files))
	for i, f := range files {
		if srcs[i], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	k := survey(srcs)
	lists := 0
	for i, f := range files {
		src := srcs[i]
		out, n := sequentialLists(src)
		out = noDeferGroups(out)
		out = directFields(out, k)
		out = cachedArgs(out)
		if bytes.Contains(out, []byte("gqlexec.")) {
			out = bytes.Replace(out, []byte("import (\n"),
				[]byte("import (\n\t\"github.com/tongxue/tongxue/internal/infra/gqlexec\"\n"), 1)
		}
		if bytes.Equal(out, src) {
			continue
		}
		lists += n
		if out, err = format.Source(out); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			return err
		}
	}
	if lists == 0 {
		return fmt.Errorf("no graphql.MarshalSliceConcurrently call in %s: gqlgen changed, review graph/gen", dir)
	}
	return nil
}

func sequentialLists(src []byte) ([]byte, int) {
	from := []byte("graphql.MarshalSliceConcurrently(")
	n := bytes.Count(src, from)
	if n == 0 {
		return src, 0
	}
	return bytes.ReplaceAll(src, from, []byte("gqlexec.MarshalSlice(")), n
}

// noDeferGroups empties the @defer group of every generated object function
// that never schedules a field on it, and has its fields written by
// gqlexec.Object, which skips FieldSet's bookkeeping for deferred fields.
func noDeferGroups(src []byte) []byte {
	group := []byte("deferred := graphql.NewDeferredGroup(ctx)")
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, f := range funcs {
		if !bytes.Contains(f, group) || bytes.Contains(f, []byte("&deferred")) {
			continue
		}
		f = bytes.Replace(f, group, []byte("var deferred graphql.DeferredGroup // sequential: nothing is deferred"), 1)
		funcs[i] = bytes.Replace(f, []byte("\n\treturn out\n}"), []byte("\n\treturn gqlexec.Object(fields, out.Values)\n}"), 1)
	}
	return bytes.Join(funcs, []byte("\nfunc "))
}

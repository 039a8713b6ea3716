package api

import (
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
)

// The cost of a validated operation, with its variables (limits.go). Page
// sizes (paging.Check on every connection) are checked here too: ent loads
// nested connections eagerly with the parent, so a check at resolve time
// would come after an unbounded load.

// noPage marks a selection set that is not a connection's.
const noPage = -1

// costWalker measures a validated operation: each object-valued field
// counts 1 for each object it can produce; a connection counts 1, and the
// edges (or nodes) in its selection set count once per element of its page
// (first or last); any other list counts its first, last or limit argument,
// or the number of its ids, or defaultListSize. Scalars and introspection
// count nothing: they come with their object or from memory. A fragment is
// measured once per page context and reused at every spread.
type costWalker struct {
	vars   map[string]any
	frags  ast.FragmentDefinitionList
	done   map[costKey]int
	active map[costKey]bool
	err    *apperr.Error // the first page argument paging.Check refused
}

type costKey struct {
	name string
	page int
}

// set is the cost of a selection set; page is its connection's page size,
// or noPage.
func (c *costWalker) set(set ast.SelectionSet, page int) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n = add(n, c.field(sel, page))
		case *ast.InlineFragment:
			n = add(n, c.set(sel.SelectionSet, page))
		case *ast.FragmentSpread:
			n = add(n, c.fragment(sel.Name, page))
		}
		if c.err != nil {
			return n
		}
	}
	return n
}

func (c *costWalker) fragment(name string, page int) int {
	k := costKey{name, page}
	if n, ok := c.done[k]; ok {
		return n
	}
	def := c.frags.ForName(name)
	if def == nil || c.active[k] {
		return 0
	}
	if c.active == nil {
		c.active, c.done = map[costKey]bool{}, map[costKey]int{}
	}
	c.active[k] = true
	n := c.set(def.SelectionSet, page)
	delete(c.active, k)
	c.done[k] = n
	return n
}

func (c *costWalker) field(f *ast.Field, page int) int {
	if f.Definition == nil || len(f.SelectionSet) == 0 || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	t := f.Definition.Type
	if t.Elem == nil && strings.HasSuffix(t.NamedType, "Connection") {
		first, last := c.intArg(f, "first"), c.intArg(f, "last")
		if err := paging.Check(f.Name, first, last); err != nil {
			c.err, _ = apperr.As(err)
			return 0
		}
		size := 0
		for _, v := range []*int{first, last} {
			if v != nil {
				size = max(size, *v)
			}
		}
		return add(1, c.set(f.SelectionSet, size))
	}
	size := 1
	if t.Elem != nil {
		size = c.listSize(f, page)
	}
	return mul(size, add(1, c.set(f.SelectionSet, noPage)))
}

// listSize is how many elements a list field counts.
func (c *costWalker) listSize(f *ast.Field, page int) int {
	if page != noPage {
		return page // a connection's edges or nodes
	}
	for _, name := range []string{"first", "last"} {
		if v := c.intArg(f, name); v != nil {
			return max(*v, 0)
		}
	}
	if v := c.intArg(f, "limit"); v != nil {
		return paging.Clamp(*v) // what the resolvers apply
	}
	if a := f.Arguments.ForName("ids"); a != nil {
		if ids, err := a.Value.Value(c.vars); err == nil {
			if l, ok := ids.([]any); ok {
				return len(l)
			}
		}
	}
	return defaultListSize
}

// intArg is the integer value of f's argument name (given, by variable, or
// by default), or nil.
func (c *costWalker) intArg(f *ast.Field, name string) *int {
	var v any
	if a := f.Arguments.ForName(name); a != nil {
		v, _ = a.Value.Value(c.vars)
	} else if d := f.Definition.Arguments.ForName(name); d != nil && d.DefaultValue != nil {
		v, _ = d.DefaultValue.Value(nil)
	}
	return intArg(v)
}

// intArg is an integer argument's value as the executor holds it (a literal
// is an int64, a variable a json.Number), or nil.
func intArg(v any) *int {
	switch n := v.(type) {
	case int:
		return &n
	case int64:
		i := int(n)
		return &i
	case json.Number:
		if i, err := n.Int64(); err == nil {
			j := int(i)
			return &j
		}
	case float64:
		i := int(n)
		return &i
	}
	return nil
}

package api

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// The shape of a query document, measured before gqlgen parses and
// validates it (limits.go).

// shape is what checkShape measures of a selection set, fragments expanded.
type shape struct {
	fields   int // fields merged into this set, its own and its fragments'
	widest   int // fields of the widest set within (this one included)
	total    int // selections within, each fragment counted at every spread
	depth    int // field levels
	inputMax int // input object nesting in arguments
}

// checkShape measures a parsed, not yet validated document. Every operation
// and every fragment definition is measured (validation walks all of
// them); each fragment is measured once and its measure reused at every
// spread, so the work is linear in the document even when fragments spread
// fragments exponentially. A fragment spread inside itself counts nothing
// here; mergeWalk, which runs once the size is bounded, finds no end to its
// expansion and refuses it.
func checkShape(doc *ast.QueryDocument) *gqlerror.Error {
	m := shapeMeter{defs: make(map[string]*ast.FragmentDefinition, len(doc.Fragments))}
	for _, f := range doc.Fragments {
		if _, dup := m.defs[f.Name]; !dup {
			m.defs[f.Name] = f
		}
	}
	var all shape
	merge := func(s shape) {
		all.total = add(all.total, s.total)
		all.widest = max(all.widest, s.widest)
		all.depth = max(all.depth, s.depth)
		all.inputMax = max(all.inputMax, s.inputMax)
	}
	for _, op := range doc.Operations {
		s := m.set(op.SelectionSet)
		for _, v := range op.VariableDefinitions {
			s.inputMax = max(s.inputMax, valueDepth(v.DefaultValue), directivesDepth(v.Directives))
		}
		s.inputMax = max(s.inputMax, directivesDepth(op.Directives))
		merge(s)
	}
	for _, f := range doc.Fragments {
		if m.defs[f.Name] == f {
			s := m.fragment(f.Name)
			if strings.HasPrefix(f.TypeCondition, "__") {
				s.depth = 0 // spread only inside __schema/__type, where depth is not counted: see maxDepth
			}
			merge(s)
		} else {
			merge(m.set(f.SelectionSet)) // a duplicate name: validation refuses it, after walking it
		}
	}
	switch {
	case all.widest > maxFieldsPerSet:
		return limitError(apperr.CodeQueryTooComplex, maxFieldsPerSet, all.widest,
			"a selection set has %d fields (aliases and fragments included); the limit is %d", all.widest, maxFieldsPerSet)
	case all.total > maxSelections:
		return limitError(apperr.CodeQueryTooComplex, maxSelections, all.total,
			"the query has %d selections after fragment expansion (each fragment counted every time it is spread); the limit is %d",
			all.total, maxSelections)
	case all.depth > maxDepth:
		return limitError(apperr.CodeQueryTooDeep, maxDepth, all.depth,
			"the query nests fields %d deep; the limit is %d", all.depth, maxDepth)
	case all.inputMax > maxInputDepth:
		return tooDeepInput(all.inputMax)
	}
	// The size is bounded now: merge as the executor and validation do.
	w := mergeWalk{defs: m.defs}
	ok := true
	for _, op := range doc.Operations {
		ok = ok && w.sets([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		ok = ok && w.sets([]ast.SelectionSet{f.SelectionSet})
	}
	if !ok {
		return limitError(apperr.CodeQueryTooComplex, maxSelections, w.visited,
			"the query has more than %d selections after fragment expansion (a fragment spreads itself?); the limit is %d",
			maxSelections, maxSelections)
	}
	if w.widest > maxFieldsPerSet {
		return limitError(apperr.CodeQueryTooComplex, maxFieldsPerSet, w.widest,
			"a selection set has %d fields once fields of the same name are merged (aliases and fragments included); the limit is %d",
			w.widest, maxFieldsPerSet)
	}
	return nil
}

// mergeWalk measures the selection sets as the executor collects them and
// as validation compares them: the sub-selections of the fields sharing a
// response name are one set (20 fields x, each selecting 95 fields y, make
// a set of 1,900 fields y, compared pairwise: 330 ms of validation). It
// expands fragments at every spread, so it runs only after shapeMeter has
// bounded the expanded size; it stops after maxSelections visits, which only
// a fragment spread inside itself reaches (shapeMeter cuts cycles).
type mergeWalk struct {
	defs    map[string]*ast.FragmentDefinition
	visited int
	widest  int
}

// sets walks the union of sets; false when it stopped.
func (w *mergeWalk) sets(sets []ast.SelectionSet) bool {
	var names []string
	groups := map[string][]ast.SelectionSet{}
	width := 0
	var collect func(ast.SelectionSet) bool
	collect = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			if w.visited++; w.visited > maxSelections {
				return false
			}
			switch sel := sel.(type) {
			case *ast.Field:
				width++
				name := sel.Alias
				if name == "" {
					name = sel.Name
				}
				g, seen := groups[name]
				if !seen {
					names = append(names, name)
				}
				groups[name] = append(g, sel.SelectionSet)
			case *ast.InlineFragment:
				if !collect(sel.SelectionSet) {
					return false
				}
			case *ast.FragmentSpread:
				if def := w.defs[sel.Name]; def != nil && !collect(def.SelectionSet) {
					return false
				}
			}
		}
		return true
	}
	for _, set := range sets {
		if !collect(set) {
			return false
		}
	}
	w.widest = max(w.widest, width)
	for _, name := range names {
		children := groups[name][:0:0]
		for _, set := range groups[name] {
			if len(set) > 0 {
				children = append(children, set)
			}
		}
		if len(children) > 0 && !w.sets(children) {
			return false
		}
	}
	return true
}

type shapeMeter struct {
	defs   map[string]*ast.FragmentDefinition
	done   map[string]shape
	active map[string]bool
}

func (m *shapeMeter) set(set ast.SelectionSet) shape {
	var s shape
	// merged adds a fragment's fields to this set.
	merged := func(f shape) {
		s.fields = add(s.fields, f.fields)
		s.widest = max(s.widest, f.widest)
		s.total = add(s.total, add(1, f.total))
		s.depth = max(s.depth, f.depth)
		s.inputMax = max(s.inputMax, f.inputMax)
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			child := m.set(sel.SelectionSet)
			s.fields = add(s.fields, 1)
			s.widest = max(s.widest, child.widest)
			s.total = add(s.total, add(1, child.total))
			if sel.Name == "__schema" || sel.Name == "__type" {
				child.depth = 0 // introspection: see maxDepth
			}
			s.depth = max(s.depth, 1+child.depth)
			s.inputMax = max(s.inputMax, child.inputMax, argumentsDepth(sel.Arguments), directivesDepth(sel.Directives))
		case *ast.InlineFragment:
			f := m.set(sel.SelectionSet)
			f.inputMax = max(f.inputMax, directivesDepth(sel.Directives))
			merged(f)
		case *ast.FragmentSpread:
			f := m.fragment(sel.Name)
			f.inputMax = max(f.inputMax, directivesDepth(sel.Directives))
			merged(f)
		}
	}
	s.widest = max(s.widest, s.fields)
	return s
}

func (m *shapeMeter) fragment(name string) shape {
	if s, ok := m.done[name]; ok {
		return s
	}
	def := m.defs[name]
	if def == nil || m.active[name] {
		return shape{} // unknown or cyclic: validation refuses it
	}
	if m.active == nil {
		m.active, m.done = map[string]bool{}, map[string]shape{}
	}
	m.active[name] = true
	s := m.set(def.SelectionSet)
	s.inputMax = max(s.inputMax, directivesDepth(def.Directives))
	delete(m.active, name)
	m.done[name] = s
	return s
}

func argumentsDepth(args ast.ArgumentList) int {
	d := 0
	for _, a := range args {
		d = max(d, valueDepth(a.Value))
	}
	return d
}

func directivesDepth(dirs ast.DirectiveList) int {
	d := 0
	for _, dir := range dirs {
		d = max(d, argumentsDepth(dir.Arguments))
	}
	return d
}

// valueDepth is the input object nesting of a literal: lists are not levels.
func valueDepth(v *ast.Value) int {
	if v == nil || (v.Kind != ast.ObjectValue && v.Kind != ast.ListValue) {
		return 0
	}
	d := 0
	for _, c := range v.Children {
		d = max(d, valueDepth(c.Value))
	}
	if v.Kind == ast.ObjectValue {
		d++
	}
	return d
}

// jsonDepth is valueDepth of a variable's JSON value.
func jsonDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			d = max(d, jsonDepth(c))
		}
		d++
	case []any:
		for _, c := range v {
			d = max(d, jsonDepth(c))
		}
	}
	return d
}

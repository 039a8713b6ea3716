package api

import "encoding/json"

// Page sizes (first/last on every connection field, paging.Check) are
// checked before an operation runs, by the cost walk in limits.go: ent
// loads nested connections eagerly with the parent, so a check at resolve
// time would come after an unbounded load.

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

// Package paging bounds Relay connection pages. api applies it to every
// connection field of an operation before the operation runs, so nested
// connections that ent loads eagerly are bounded too.
package paging

import "github.com/tongxue/tongxue/internal/infra/apperr"

// MaxSize is the largest page a client may ask for.
const MaxSize = 100

// Check requires first or last, each between 0 and MaxSize.
func Check(field string, first, last *int) error {
	if first == nil && last == nil {
		return apperr.BadInput("%s needs `first` or `last` (at most %d)", field, MaxSize).With("field", field)
	}
	for _, v := range []*int{first, last} {
		if v != nil && (*v < 0 || *v > MaxSize) {
			return apperr.BadInput("%s: `first` and `last` must be between 0 and %d", field, MaxSize).With("field", field)
		}
	}
	return nil
}

// Clamp bounds the limit of a plain list (one that is not a connection) to
// 1..MaxSize.
func Clamp(limit int) int { return min(max(limit, 1), MaxSize) }

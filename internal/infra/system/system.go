// Package system marks a context as the server's own work (jobs, counts,
// clean-up), which row rules such as post visibility do not restrict. It is
// a leaf package so that every domain can mark or check it.
package system

import "context"

type key struct{}

// Context marks ctx as the server's own work. Requests never carry it: only
// server code that returns nothing to a user may set it.
func Context(ctx context.Context) context.Context { return context.WithValue(ctx, key{}, true) }

// Is reports whether ctx was marked by Context.
func Is(ctx context.Context) bool { b, _ := ctx.Value(key{}).(bool); return b }

package privacy

import "context"

type systemKey struct{}

// System marks ctx as the server's own work (jobs, counts, clean-up), which
// row rules such as post visibility do not restrict. Requests never carry
// it: only server code that returns nothing to a user may set it.
func System(ctx context.Context) context.Context { return context.WithValue(ctx, systemKey{}, true) }

// IsSystem reports whether ctx was marked by System.
func IsSystem(ctx context.Context) bool { b, _ := ctx.Value(systemKey{}).(bool); return b }

package auth

import "context"

// Recheck runs the periodic check at once.
func (e *SessionEnds) Recheck(ctx context.Context) { e.recheck(ctx) }

package partner

import (
	"context"
	"math/rand/v2"
	"time"
)

// MaxBackoff caps the pause between two attempts.
const MaxBackoff = 5 * time.Second

// Backoff is the pause before retry n (1-based): base doubled per retry up
// to MaxBackoff, less up to half of it at random, so clients that failed
// together do not retry together.
func Backoff(base time.Duration, n int) time.Duration {
	d := base
	for ; n > 1 && d < MaxBackoff; n-- {
		d *= 2
	}
	d = min(d, MaxBackoff)
	return d - rand.N(d/2+1)
}

// Sleep waits d or until ctx ends, whichever is first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

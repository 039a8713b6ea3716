package partner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrGaveUp ends Retry when every attempt failed and might have succeeded
// later; callers wrap it as their party's "not answering".
var ErrGaveUp = errors.New("no attempt succeeded")

// Retry calls attempt up to retries+1 times, pausing Backoff(base, n) after
// failed attempt n, until it succeeds or fails for good (retry false: that
// error is returned as it is), or ctx ends. The errors name the attempt:
// "attempt 3 of 3".
func Retry[T any](ctx context.Context, retries int, base time.Duration, attempt func() (T, bool, error)) (T, error) {
	var zero T
	total := retries + 1
	for n := 1; ; n++ {
		v, retry, err := attempt()
		switch {
		case err == nil:
			return v, nil
		case !retry:
			return zero, err
		case ctx.Err() != nil: // the caller's deadline, not the attempt's
			return zero, fmt.Errorf("%w (attempt %d of %d: %w)", ctx.Err(), n, total, err)
		case n == total:
			return zero, fmt.Errorf("%w (attempt %d of %d): %w", ErrGaveUp, n, total, err)
		}
		if werr := Sleep(ctx, Backoff(base, n)); werr != nil {
			return zero, fmt.Errorf("%w (after attempt %d of %d: %w)", werr, n, total, err)
		}
	}
}

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

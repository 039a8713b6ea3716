package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/ratecounter"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/ratelimit"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// A window starts on the minute; the clock is 20 s into it.
var start = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

func subject(s string) []byte {
	b := make([]byte, 32)
	copy(b, s)
	return b
}

func wantAllowed(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want allowed", what, err)
	}
}

func wantLimited(t *testing.T, err error, retryAfter int, what string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeRateLimited {
		t.Fatalf("%s: %v, want RATE_LIMITED", what, err)
	}
	if got, ok := e.Extensions["retryAfter"].(int); !ok || got != retryAfter {
		t.Fatalf("%s: retryAfter = %#v, want %d", what, e.Extensions["retryAfter"], retryAfter)
	}
}

func TestAllowLimitPerWindow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := testdb.NewClock(start.Add(20 * time.Second))
		l := ratelimit.New(db.Client, c.Now)
		rule := ratelimit.Rule{Name: "login", Limit: 3, Window: time.Minute}
		s := subject("phone-1")

		for i := range 3 {
			wantAllowed(t, l.Allow(ctx, rule, s), "event "+string(rune('1'+i)))
			c.Add(time.Second)
		}
		// 23 s into the window: 37 s left.
		wantLimited(t, l.Allow(ctx, rule, s), 37, "4th event")
		// Fractions round up: 12.5 s later 24.5 s are left → 25.
		c.Add(12500 * time.Millisecond)
		wantLimited(t, l.Allow(ctx, rule, s), 25, "5th event")
		// The last instant of the window.
		c.Set(start.Add(time.Minute - time.Millisecond))
		wantLimited(t, l.Allow(ctx, rule, s), 1, "last millisecond")

		// A new window resets.
		c.Set(start.Add(time.Minute))
		for i := range 3 {
			wantAllowed(t, l.Allow(ctx, rule, s), "new window event "+string(rune('1'+i)))
		}
		wantLimited(t, l.Allow(ctx, rule, s), 60, "new window 4th event")

		// Windows are fixed, not sliding: the one after starts clean.
		c.Set(start.Add(2*time.Minute + 59*time.Second))
		wantAllowed(t, l.Allow(ctx, rule, s), "third window")
	})
}

func TestAllowHourWindowRetryAfter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// The clock runs in UTC+8: windows still align on the hour.
		c := testdb.NewClock(start.Add(10*time.Minute + 30*time.Second).In(time.FixedZone("UTC+8", 8*3600)))
		l := ratelimit.New(db.Client, c.Now)
		rule := ratelimit.Rule{Name: "sms", Limit: 1, Window: time.Hour}
		wantAllowed(t, l.Allow(ctx, rule, subject("x")), "first")
		wantLimited(t, l.Allow(ctx, rule, subject("x")), 49*60+30, "second")
	})
}

func TestAllowSubjectsAndRulesAreIndependent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := testdb.NewClock(start)
		l := ratelimit.New(db.Client, c.Now)
		a := ratelimit.Rule{Name: "a", Limit: 2, Window: time.Minute}
		b := ratelimit.Rule{Name: "b", Limit: 2, Window: time.Minute}
		s1, s2 := subject("subject-1"), subject("subject-2")

		for range 2 {
			wantAllowed(t, l.Allow(ctx, a, s1), "a/s1")
		}
		wantLimited(t, l.Allow(ctx, a, s1), 60, "a/s1 over")
		// Same rule, other subject.
		for range 2 {
			wantAllowed(t, l.Allow(ctx, a, s2), "a/s2")
		}
		wantLimited(t, l.Allow(ctx, a, s2), 60, "a/s2 over")
		// Same subject, other rule.
		for range 2 {
			wantAllowed(t, l.Allow(ctx, b, s1), "b/s1")
		}
		wantLimited(t, l.Allow(ctx, b, s1), 60, "b/s1 over")

		// The subject is stored only as a hex prefix, under the rule name.
		rows, err := db.Client.RateCounter.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d counters, want 3", len(rows))
		}
		for _, r := range rows {
			if r.Count != 3 {
				t.Errorf("%s: count %d, want 3 (refused events count too)", r.Key, r.Count)
			}
			if !r.ExpiresAt.Equal(start.Add(time.Minute)) || !r.WindowStart.Equal(start) {
				t.Errorf("%s: window %s–%s", r.Key, r.WindowStart, r.ExpiresAt)
			}
		}
	})
}

func TestAllowConcurrentIsExact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := testdb.NewClock(start.Add(5 * time.Second))
		l := ratelimit.New(db.Client, c.Now)
		rule := ratelimit.Rule{Name: "burst", Limit: 10, Window: time.Minute}
		s := subject("burst")

		const n = 40
		errs := make([]error, n)
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ready
				errs[i] = l.Allow(ctx, rule, s)
			}()
		}
		close(ready)
		wg.Wait()

		allowed, limited := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				allowed++
			case apperr.CodeOf(err) == apperr.CodeRateLimited:
				limited++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if allowed != 10 || limited != n-10 {
			t.Errorf("%d allowed, %d limited; want exactly 10 allowed, %d limited", allowed, limited, n-10)
		}
		cnt, err := db.Client.RateCounter.Query().Where(ratecounter.KeyHasPrefix("burst:")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cnt.Count != n {
			t.Errorf("counter = %d, want %d (every event counted once)", cnt.Count, n)
		}
	})
}

func TestSweepDeletesExpiredWindowsOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// The clock is in UTC+8 to prove expiry compares instants.
		cst := time.FixedZone("UTC+8", 8*3600)
		c := testdb.NewClock(start.Add(30 * time.Second).In(cst))
		l := ratelimit.New(db.Client, c.Now)
		minute := ratelimit.Rule{Name: "m", Limit: 5, Window: time.Minute}
		hour := ratelimit.Rule{Name: "h", Limit: 5, Window: time.Hour}
		for _, s := range []string{"a", "b"} {
			wantAllowed(t, l.Allow(ctx, minute, subject(s)), "minute "+s)
			wantAllowed(t, l.Allow(ctx, hour, subject(s)), "hour "+s)
		}

		// Nothing has expired yet.
		if n, err := l.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("early Sweep = %d, %v; want 0", n, err)
		}
		// 09:00:59.999: the minute windows still run.
		c.Set(start.Add(time.Minute - time.Millisecond).In(cst))
		if n, err := l.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("Sweep before the minute ends = %d, %v; want 0", n, err)
		}
		// Past the minute: the two minute windows go, the hour windows stay.
		c.Set(start.Add(time.Minute + time.Millisecond).In(cst))
		if n, err := l.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("Sweep after a minute = %d, %v; want 2", n, err)
		}
		left, err := db.Client.RateCounter.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 {
			t.Fatalf("%d counters left, want 2", len(left))
		}
		for _, r := range left {
			if r.Key[:2] != "h:" {
				t.Errorf("counter %s survived, want only hour windows", r.Key)
			}
		}
		// The hour limit still counts the earlier event.
		for range 4 {
			wantAllowed(t, l.Allow(ctx, hour, subject("a")), "hour a")
		}
		wantLimited(t, l.Allow(ctx, hour, subject("a")), 59*60, "hour a over") // 58m59.999s left

		c.Set(start.Add(time.Hour + time.Second).In(cst))
		if n, err := l.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("Sweep after an hour = %d, %v; want 2", n, err)
		}
		if n, _ := db.Client.RateCounter.Query().Count(ctx); n != 0 {
			t.Fatalf("%d counters left, want 0", n)
		}
	})
}

// Package ratelimit counts events per key in fixed windows stored in the
// database, so every server instance enforces the same limits.
package ratelimit

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/ratecounter"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// Rule is a limit: at most Limit events per Window.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// Limiter applies rules.
type Limiter struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a limiter; now is time.Now outside tests.
func New(client *ent.Client, now func() time.Time) *Limiter {
	return &Limiter{client: client, now: now}
}

// Allow counts one event of subject under rule. It returns a RATE_LIMITED
// error, with the seconds to wait, once the window's limit is passed. The
// subject must already be a keyed hash: raw phone numbers or IPs are never
// stored.
func (l *Limiter) Allow(ctx context.Context, rule Rule, subject []byte) error {
	now := l.now().UTC()
	start := now.Truncate(rule.Window)
	key := rule.Name + ":" + hex.EncodeToString(subject[:min(len(subject), 16)])
	// The upsert and the read share a transaction: the upsert locks the row
	// until commit, so each caller reads the count its own increment made and
	// exactly Limit callers pass, on any instance.
	var n int
	err := store.WithTx(ctx, l.client, func(tx *ent.Tx) error {
		err := tx.RateCounter.Create().
			SetKey(key).SetWindowStart(start).SetCount(1).SetExpiresAt(start.Add(rule.Window)).
			OnConflictColumns(ratecounter.FieldKey, ratecounter.FieldWindowStart).
			AddCount(1).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("ratelimit: count: %w", err)
		}
		n, err = tx.RateCounter.Query().
			Where(ratecounter.Key(key), ratecounter.WindowStart(start)).
			Select(ratecounter.FieldCount).Int(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if n > rule.Limit {
		wait := start.Add(rule.Window).Sub(now)
		return apperr.RateLimited(int(math.Ceil(wait.Seconds())))
	}
	return nil
}

// Sweep deletes finished windows.
func (l *Limiter) Sweep(ctx context.Context) (int, error) {
	return l.client.RateCounter.Delete().Where(ratecounter.ExpiresAtLT(l.now())).Exec(ctx)
}

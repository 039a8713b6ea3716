// Package retention carries out the retention of personal data on schedule
// (T1, §6 of the privacy policy): one housekeeping runner deletes or
// anonymises what has been kept long enough (transactions 3 years after
// they close, the reveal audit after 6 months, expired exports, answered
// bank applications' documents, errands left delivered, cancellations past
// their cooling-off period). Each period is read from the declaration in
// ent/schema that the privacy catalogue prints (declared.go), never from a
// constant of its own. Plan says what a run would do; Run does it, in
// batches, each batch a transaction, on one instance at a time (lock.go).
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/system"
)

// Canceller carries out account cancellations whose cooling-off period has
// ended (internal/domain/account.Cancellations).
type Canceller interface {
	CancelDue(ctx context.Context, limit int) (int, error)
}

// Deps are what the runner works with.
type Deps struct {
	DB    *store.DB
	Media media.Store // pictures of the errands it ends or deletes
	// Canceller: nil counts the cancellations due without carrying them out.
	Canceller Canceller
	Now       func() time.Time
	Log       *slog.Logger
	Batch     int // rows per transaction; 0: 500
}

// Runner is the housekeeping runner.
type Runner struct {
	d       Deps
	periods periods
}

// New checks that every rule it carries out is declared.
func New(d Deps) (*Runner, error) {
	if d.Batch <= 0 {
		d.Batch = 500
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	p, err := declaredPeriods()
	if err != nil {
		return nil, err
	}
	return &Runner{d: d, periods: p}, nil
}

// Count is what one rule did (Run) or would do (Plan) to one table's
// rows: numbers only, never a value.
type Count struct {
	Rule   string `json:"rule"`
	Table  string `json:"table"`
	Action string `json:"action"` // deleted, erased, completed, cancelled, released
	Rows   int    `json:"rows"`
}

// Report is a run or a plan.
type Report struct {
	At     time.Time `json:"at"`
	Counts []Count   `json:"counts"` // every rule and table, in rule order, zeros included
	// Skipped: another instance was running; this one did nothing.
	Skipped bool `json:"skipped"`
}

// Rows is the count of one rule on one table.
func (r Report) Rows(rule, table string) int {
	n := 0
	for _, c := range r.Counts {
		if c.Rule == rule && c.Table == table {
			n += c.Rows
		}
	}
	return n
}

// Total is every row acted on.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c.Rows
	}
	return n
}

// Plan counts what Run would do now, changing nothing.
func (r *Runner) Plan(ctx context.Context) (Report, error) {
	now := r.d.Now()
	counts, err := r.each(system.Context(ctx), now, false)
	return Report{At: now, Counts: counts}, err
}

// Run carries out every rule once. When another instance is running it
// returns at once with Skipped set.
func (r *Runner) Run(ctx context.Context) (Report, error) {
	ctx = system.Context(ctx)
	unlock, ok, err := r.lock(ctx)
	if err != nil || !ok {
		return Report{At: r.d.Now(), Skipped: err == nil}, err
	}
	defer unlock()
	now := r.d.Now()
	counts, err := r.each(ctx, now, true)
	rep := Report{At: now, Counts: counts}
	if n := rep.Total(); n > 0 || err != nil {
		r.d.Log.InfoContext(ctx, "retention run", "rows", n, "failed", err != nil)
	}
	return rep, err
}

// rule is one retention rule the runner carries out.
type rule struct {
	name  string
	shape []Count // the tables and actions it reports, zeros included
	// due lists up to limit ids of due rows after the id cursor.
	due func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error)
	// plan says what apply would do to these rows.
	plan func(ctx context.Context, c *ent.Client, ids []int) ([]Count, error)
	// apply acts on the rows still due among ids, in tx; done, if any,
	// runs after the commit (pictures are deleted once nothing refers to them).
	apply func(ctx context.Context, tx *ent.Tx, ids []int) (counts []Count, done func(), err error)
	// whole replaces the batches for work another package does (cancellations).
	whole func(ctx context.Context, apply bool) ([]Count, error)
}

// each plans or runs every rule. A rule that fails does not stop the others.
func (r *Runner) each(ctx context.Context, now time.Time, apply bool) ([]Count, error) {
	var out []Count
	var errs []error
	for _, ru := range r.rules(now) {
		got, err := r.one(ctx, ru, apply)
		if err != nil {
			errs = append(errs, fmt.Errorf("retention %s: %w", ru.name, err))
		}
		out = append(out, merge(ru, got)...)
		if ctx.Err() != nil {
			break
		}
	}
	return out, errors.Join(errs...)
}

func (r *Runner) one(ctx context.Context, ru rule, apply bool) ([]Count, error) {
	if ru.whole != nil {
		return ru.whole(ctx, apply)
	}
	var out []Count
	for after := 0; ctx.Err() == nil; {
		ids, err := ru.due(ctx, r.d.DB.Client, after, r.d.Batch)
		if err != nil || len(ids) == 0 {
			return out, err
		}
		var got []Count
		if apply {
			var done func()
			err = store.WithTx(ctx, r.d.DB.Client, func(tx *ent.Tx) error {
				var err error
				got, done, err = ru.apply(ctx, tx, ids)
				return err
			})
			if err == nil && done != nil {
				done()
			}
		} else {
			got, err = ru.plan(ctx, r.d.DB.Client, ids)
		}
		if err != nil {
			return out, err
		}
		out = append(out, got...)
		if len(ids) < r.d.Batch {
			return out, nil
		}
		after = ids[len(ids)-1]
	}
	return out, ctx.Err()
}

// merge sums counts by table and action, in the order of the rule's shape.
func merge(ru rule, got []Count) []Count {
	var out []Count
	at := map[[2]string]int{}
	for _, c := range append(append([]Count(nil), ru.shape...), got...) {
		k := [2]string{c.Table, c.Action}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, Count{Rule: ru.name, Table: c.Table, Action: c.Action})
		}
		out[i].Rows += c.Rows
	}
	return out
}

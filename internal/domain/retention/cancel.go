package retention

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent/user"
)

// cancellations carries out the account cancellations whose cooling-off
// period has ended, through the Canceller (internal/domain/account), in
// batches until none is left.
func (r *Runner) cancellations(now time.Time) rule {
	return rule{
		name:  "cancellations",
		shape: []Count{count(user.Table, cancelled, 0)},
		whole: func(ctx context.Context, apply bool) ([]Count, error) {
			if !apply {
				n, err := r.d.DB.Client.User.Query().
					Where(user.StatusEQ(user.StatusCANCELLING), user.CancelAfterLTE(now)).Count(ctx)
				return []Count{count(user.Table, cancelled, n)}, err
			}
			if r.d.Canceller == nil {
				return nil, nil
			}
			total := 0
			for ctx.Err() == nil {
				n, err := r.d.Canceller.CancelDue(ctx, r.d.Batch)
				total += n
				if err != nil || n < r.d.Batch {
					return []Count{count(user.Table, cancelled, total)}, err
				}
			}
			return []Count{count(user.Table, cancelled, total)}, ctx.Err()
		},
	}
}

package retention_test

import (
	"log/slog"
	"testing"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// The runner carries out, through the account service, the cancellations
// whose cooling-off period has ended, and only those.
func TestCancellationsPastTheCoolingOffPeriodAreCarriedOut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.ctx()
		e := f.e
		e.Login(t, "13500000001")
		e.Login(t, "13500000002")
		due, waiting := e.UserID(t, "13500000001"), e.UserID(t, "13500000002")
		db.Client.User.UpdateOneID(due).SetStatus(user.StatusCANCELLING).SetCancelAfter(f.t0.AddDate(0, 0, -1)).ExecX(ctx)
		db.Client.User.UpdateOneID(waiting).SetStatus(user.StatusCANCELLING).SetCancelAfter(f.t0.AddDate(0, 0, 1)).ExecX(ctx)
		r, err := retention.New(retention.Deps{DB: db, Media: e.Services.Media, Canceller: e.Services.Cancellations,
			Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := r.Plan(ctx)
		if err != nil || plan.Rows("cancellations", user.Table) != 1 {
			t.Fatalf("plan %+v, %v", plan.Counts, err)
		}
		rep, err := r.Run(ctx)
		if err != nil || rep.Rows("cancellations", user.Table) != 1 {
			t.Fatalf("run %+v, %v", rep.Counts, err)
		}
		if u := db.Client.User.GetX(ctx, due); u.Status != user.StatusCANCELLED || u.CancelledAt == nil {
			t.Fatalf("the due account is %s", u.Status)
		}
		if u := db.Client.User.GetX(ctx, waiting); u.Status != user.StatusCANCELLING {
			t.Fatalf("the account still cooling off is %s", u.Status)
		}
	})
}

package retention_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Two runners at once, on PostgreSQL each on its own pools as two server
// instances are: while one is in the middle of its run the other skips its
// round and touches nothing, so nothing is processed twice; once the first
// is done the second runs again and finds nothing left.
func TestOneRunnerAtATime(t *testing.T) {
	for _, backend := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[backend], func(t *testing.T) {
			var a, b *store.DB
			if backend == dialect.Postgres {
				url := testdb.PostgresSchema(t)
				a, _ = apitest.PostgresInstance(t, url, 8)
				b, _ = apitest.PostgresInstance(t, url, 8)
			} else {
				a = testdb.Open(t, backend, testdb.Options{})
				b = a // SQLite is one process
			}
			f := newFixture(t, a)
			ctx := f.ctx()
			f.user().Update().SetStatus(user.StatusCANCELLING).SetCancelAfter(f.t0.AddDate(0, 0, -1)).ExecX(ctx)
			old := f.db.Client.SensitiveAccess.Create().SetActorID(1).SetActorRole(sensitiveaccess.ActorRoleSTAFF).
				SetSubjectID(1).SetField("Account.phone").SetReason("核实").SetCreatedAt(f.t0.AddDate(-1, 0, 0)).SaveX(ctx)
			first, second := f.runner, f.newRunner(b)

			f.cancel.entered, f.cancel.gate = make(chan struct{}, 1), make(chan struct{})
			done := make(chan retention.Report, 1)
			go func() {
				rep, err := first.Run(ctx)
				if err != nil {
					t.Error(err)
				}
				done <- rep
			}()
			<-f.cancel.entered // the first runner holds the lock, in the middle of its run

			rep, err := second.Run(ctx)
			if err != nil || !rep.Skipped || rep.Total() != 0 {
				t.Fatalf("the second runner ran alongside the first: skipped %v, %+v, %v", rep.Skipped, rep.Counts, err)
			}
			if n := f.cancel.calls.Load(); n != 1 {
				t.Fatalf("the cancellations were asked for %d times", n)
			}
			if !f.db.Client.SensitiveAccess.Query().Where(sensitiveaccess.ID(old.ID)).ExistX(ctx) {
				t.Fatal("the skipped runner deleted something")
			}
			close(f.cancel.gate)
			rep = <-done
			if rep.Skipped || rep.Rows("cancellations", user.Table) != 1 || rep.Rows("reveal audit", sensitiveaccess.Table) != 1 {
				t.Fatalf("the first runner: %+v", rep)
			}
			rep, err = second.Run(ctx)
			if err != nil || rep.Skipped || rep.Total() != 0 {
				t.Fatalf("after the first run the second: skipped %v, %+v, %v", rep.Skipped, rep.Counts, err)
			}
		})
	}
}

// On PostgreSQL a pool of one connection cannot hold the run's lock and
// run its queries: the run fails at once, naming the setting, instead of
// waiting for ever on the connection it holds (and starving the server).
func TestRunRefusesAOneConnectionPool(t *testing.T) {
	db, _ := apitest.PostgresInstance(t, testdb.PostgresSchema(t), 1)
	r, err := retention.New(retention.Deps{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep, err := r.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "TONGXUE_DB_MAX_OPEN") || rep.Skipped || ctx.Err() != nil {
		t.Fatalf("run on a pool of one: %+v, %v (deadline passed: %v)", rep, err, ctx.Err() != nil)
	}
}

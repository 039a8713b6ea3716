package retention_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// fixture is a server on a test database whose clock the test moves, and
// a runner on the same clock.
type fixture struct {
	t      *testing.T
	db     *store.DB
	e      *apitest.Env
	clock  *testdb.Clock
	t0     time.Time // where the clock started
	cancel *canceller
	runner *retention.Runner
	users  int
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	// The payment sandbox signs callbacks with the real time: start there.
	t0 := time.Now().UTC().Truncate(time.Second)
	clock := testdb.NewClock(t0)
	f := &fixture{t: t, db: db, clock: clock, t0: t0}
	f.e = apitest.New(t, db, apitest.Options{Now: clock.Now})
	f.cancel = &canceller{db: db, now: clock.Now}
	f.runner = f.newRunner(db)
	return f
}

func (f *fixture) newRunner(db *store.DB) *retention.Runner {
	f.t.Helper()
	r, err := retention.New(retention.Deps{DB: db, Media: f.e.Services.Media, Canceller: f.cancel,
		Now: f.clock.Now, Log: slog.New(slog.DiscardHandler), Batch: 2})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) ctx() context.Context { return f.t.Context() }

// runAt moves the clock to at and runs the runner once.
func (f *fixture) runAt(at time.Time) retention.Report {
	f.t.Helper()
	f.clock.Set(at)
	rep, err := f.runner.Run(f.ctx())
	if err != nil {
		f.t.Fatalf("run at %s: %v", at, err)
	}
	if rep.Skipped {
		f.t.Fatal("the runner skipped its run with nobody else running")
	}
	return rep
}

// keep reads a declared period, as the runner does.
func (f *fixture) keep(table, column string) pii.Keep {
	f.t.Helper()
	k, err := retention.KeepOf(table, column)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// user stores a bare account.
func (f *fixture) user() *ent.User {
	f.t.Helper()
	f.users++
	return f.db.Client.User.Create().SetPhoneHash([]byte(fmt.Sprintf("phone-hash-%d", f.users))).
		SetPhoneCipher([]byte("sealed")).SetNickname(fmt.Sprintf("用户%d", f.users)).
		SetBirthDate(time.Date(2004, 3, 2, 0, 0, 0, 0, time.UTC)).SaveX(f.ctx())
}

// cancelledUser stores an account cancelled at when.
func (f *fixture) cancelledUser(when time.Time) *ent.User {
	u := f.user()
	return u.Update().SetStatus(user.StatusCANCELLED).SetCancelledAt(when).SaveX(f.ctx())
}

// canceller stands in for internal/domain/account's cancellations: it
// marks the accounts due as cancelled, and counts its calls. With gate set
// its first call waits for the gate (a run held up in the middle).
type canceller struct {
	db      *store.DB
	now     func() time.Time
	calls   atomic.Int32
	entered chan struct{}
	gate    chan struct{}
}

func (c *canceller) CancelDue(ctx context.Context, limit int) (int, error) {
	if c.calls.Add(1) == 1 && c.gate != nil {
		c.entered <- struct{}{}
		<-c.gate
	}
	now := c.now()
	ids, err := c.db.Client.User.Query().Where(user.StatusEQ(user.StatusCANCELLING), user.CancelAfterLTE(now)).
		Limit(limit).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return c.db.Client.User.Update().Where(user.IDIn(ids...), user.StatusEQ(user.StatusCANCELLING)).
		SetStatus(user.StatusCANCELLED).SetCancelledAt(now).ClearCancelAfter().Save(ctx)
}

// dump is every row of every table, as text: equal dumps, unchanged data.
func dump(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, r := range testdb.Dump(t, db.SQL) {
		fmt.Fprintf(&b, "%s %v\n", r.Table, r.Vals)
	}
	return b.String()
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const day = 24 * time.Hour

// held reports a value in a nillable bytes column (ent reads NULL as a
// pointer to an empty slice).
func held(b *[]byte) bool { return b != nil && len(*b) > 0 }

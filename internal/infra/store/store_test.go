package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/lib/pq"
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/ratecounter"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

func TestOpenSQLiteCreatesDataFolderAndFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	db, err := store.Open(ctx, "", dir, store.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect != dialect.SQLite {
		t.Fatalf("Dialect = %q, want sqlite", db.Dialect)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("data folder: %v", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("data folder mode = %o, want no group/other access", perm)
	}
	file := filepath.Join(dir, "tongxue.db")
	if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("SQLite file %s: %v", file, err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client.RateCounter.Create().SetKey("persist").SetWindowStart(time.Now()).
		SetExpiresAt(time.Now().Add(time.Hour)).Save(ctx); err != nil {
		t.Fatal(err)
	}
	if got := db.SQL.Stats().MaxOpenConnections; got != 4 {
		t.Fatalf("MaxOpenConnections = %d, want 4", got)
	}
	db.Close()
	if err := db.Ready(ctx); err == nil {
		t.Fatal("Ready after Close succeeded")
	}

	// The data lives in that file: opening the folder again finds it.
	db2, err := store.Open(ctx, "", dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n, err := db2.Client.RateCounter.Query().Where(ratecounter.Key("persist")).Count(ctx); err != nil || n != 1 {
		t.Fatalf("row after reopening = %d, %v", n, err)
	}
	// No bound given: one connection, never an unbounded pool.
	if got := db2.SQL.Stats().MaxOpenConnections; got != 1 {
		t.Fatalf("MaxOpenConnections with MaxOpenConns 0 = %d, want 1", got)
	}
}

func TestOpenRefusesNonPostgresURL(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"mysql://root@localhost/db", "sqlite:///tmp/x.db", "file:x.db", "localhost:5432", "host=localhost dbname=x"} {
		dir := filepath.Join(t.TempDir(), "unused")
		db, err := store.Open(ctx, u, dir, store.Options{MaxOpenConns: 2})
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("Open(%q) error %q does not say what is expected", u, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open(%q) created the data folder", u)
		}
	}
}

func TestOpenPostgresURLSchemes(t *testing.T) {
	base := testdb.PostgresURL(t)
	ctx := context.Background()
	rest, ok := strings.CutPrefix(base, "postgres://")
	if !ok {
		rest, ok = strings.CutPrefix(base, "postgresql://")
	}
	if !ok {
		t.Skipf("TEST_DATABASE_URL is not a URL: %s", base)
	}
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		db, err := store.Open(ctx, scheme+rest, t.TempDir(), store.Options{MaxOpenConns: 3})
		if err != nil {
			t.Fatalf("Open(%s...): %v", scheme, err)
		}
		if db.Dialect != dialect.Postgres {
			t.Errorf("Dialect = %q", db.Dialect)
		}
		if got := db.SQL.Stats().MaxOpenConnections; got != 3 {
			t.Errorf("MaxOpenConnections = %d, want 3", got)
		}
		db.Close()
	}
}

func TestPoolBound(t *testing.T) {
	for _, n := range []int{1, 3, 7} {
		testdb.EachWith(t, testdb.Options{MaxOpenConns: n}, func(t *testing.T, db *store.DB) {
			if got := db.SQL.Stats().MaxOpenConnections; got != n {
				t.Fatalf("MaxOpenConnections = %d, want %d", got, n)
			}
			// Concurrent work stays within the bound.
			done := make(chan error, 3*n)
			for range 3 * n {
				go func() {
					_, err := db.Client.RateCounter.Query().Count(context.Background())
					done <- err
				}()
			}
			for range 3 * n {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if got := db.SQL.Stats().OpenConnections; got > n {
				t.Fatalf("OpenConnections = %d > bound %d", got, n)
			}
		})
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// testdb migrated once already.
		now := time.Now()
		if _, err := db.Client.RateCounter.Create().SetKey("kept").SetWindowStart(now).SetExpiresAt(now).Save(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate #%d: %v", i+2, err)
			}
		}
		if n, err := db.Client.RateCounter.Query().Count(ctx); err != nil || n != 1 {
			t.Fatalf("rows after re-migrating = %d, %v", n, err)
		}
		// The unique index survives too.
		_, err := db.Client.RateCounter.Create().SetKey("kept").SetWindowStart(now).SetExpiresAt(now).Save(ctx)
		if !ent.IsConstraintError(err) {
			t.Fatalf("duplicate (key, window_start) after re-migrating: %v", err)
		}
	})
}

func counters(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.Client.RateCounter.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func addCounter(ctx context.Context, tx *ent.Tx, key string) error {
	now := time.Now()
	return tx.RateCounter.Create().SetKey(key).SetWindowStart(now).SetExpiresAt(now.Add(time.Hour)).Exec(ctx)
}

func TestWithTxCommitsOnNil(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			if err := addCounter(ctx, tx, "a"); err != nil {
				return err
			}
			return addCounter(ctx, tx, "b")
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := counters(t, db); n != 2 {
			t.Fatalf("rows after commit = %d, want 2", n)
		}
	})
}

func TestWithTxRollsBackOnError(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			if err := addCounter(ctx, tx, "a"); err != nil {
				return err
			}
			if err := addCounter(ctx, tx, "b"); err != nil {
				return err
			}
			// Inside the transaction the rows are visible.
			if n, err := tx.RateCounter.Query().Count(ctx); err != nil || n != 2 {
				return fmt.Errorf("inside tx: %d, %v", n, err)
			}
			return fmt.Errorf("step 3: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx = %v, want the function's error", err)
		}
		if n := counters(t, db); n != 0 {
			t.Fatalf("rows after rollback = %d, want 0", n)
		}
		// A failing statement inside fn also rolls everything back.
		err = store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			if err := addCounter(ctx, tx, "c"); err != nil {
				return err
			}
			return tx.RateCounter.Create().SetKey(strings.Repeat("x", 129)).
				SetWindowStart(time.Now()).SetExpiresAt(time.Now()).Exec(ctx)
		})
		if err == nil {
			t.Fatal("WithTx with a failing statement succeeded")
		}
		if n := counters(t, db); n != 0 {
			t.Fatalf("rows after failed statement = %d, want 0", n)
		}
		// The database is still writable (the transaction ended).
		if err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error { return addCounter(ctx, tx, "d") }); err != nil {
			t.Fatal(err)
		}
		if n := counters(t, db); n != 1 {
			t.Fatalf("rows = %d, want 1", n)
		}
	})
}

func TestWithTxRollsBackAndRepanicsOnPanic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		type marker struct{ n int }
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
				if err := addCounter(ctx, tx, "a"); err != nil {
					t.Errorf("insert: %v", err)
				}
				panic(marker{42})
			})
			t.Error("WithTx returned after a panic")
		}()
		if m, ok := recovered.(marker); !ok || m.n != 42 {
			t.Fatalf("recovered %#v, want the original panic value", recovered)
		}
		if n := counters(t, db); n != 0 {
			t.Fatalf("rows after panic = %d, want 0", n)
		}
		// The connection was released: more transactions work (on SQLite a
		// leaked write transaction would block every writer).
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for _, k := range []string{"b", "c"} {
			if err := store.WithTx(wctx, db.Client, func(tx *ent.Tx) error { return addCounter(wctx, tx, k) }); err != nil {
				t.Fatal(err)
			}
		}
		if n := counters(t, db); n != 2 {
			t.Fatalf("rows = %d, want 2", n)
		}
	})
}

// stamp is one instant written in some zone.
type stamp struct {
	name string
	at   time.Time
}

// stamps are instants around one moment, each written in a zone and with a
// fraction that sort wrongly when compared as driver-formatted text: zones
// east of UTC, no fraction vs a fraction, .1 vs .05, a microsecond either
// side.
func stamps() []stamp {
	base := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	cst := time.FixedZone("UTC+8", 8*3600)
	est := time.FixedZone("UTC-5", -5*3600)
	hst := time.FixedZone("UTC-10", -10*3600)
	return []stamp{
		{"utc-whole", base},
		{"cst-.05", base.Add(50 * time.Millisecond).In(cst)},
		{"utc-.1", base.Add(100 * time.Millisecond)},
		{"cst-.5", base.Add(500 * time.Millisecond).In(cst)},
		{"cst-minus-30m", base.Add(-30 * time.Minute).In(cst)},
		{"est-plus-1s", base.Add(time.Second).In(est)},
		{"utc-plus-1us", base.Add(time.Microsecond)},
		{"cst-minus-1us", base.Add(-time.Microsecond).In(cst)},
		{"hst-plus-2h", base.Add(2 * time.Hour).In(hst)},
		{"cst-plus-1h-whole", base.Add(time.Hour).In(cst)},
		{"utc-plus-59m.9", base.Add(59*time.Minute + 900*time.Millisecond)},
		{"cst-plus-1d", base.Add(24 * time.Hour).In(cst)},
	}
}

func sortedNames(ss []stamp, keep func(stamp) bool) []string {
	var out []stamp
	for _, s := range ss {
		if keep(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b stamp) int { return a.at.Compare(b.at) })
	names := make([]string, len(out))
	for i, s := range out {
		names[i] = s.name
	}
	return names
}

func TestTimesCompareAsInstants(t *testing.T) {
	testdb.Each(t, checkTimesCompareAsInstants)
}

func checkTimesCompareAsInstants(t *testing.T, db *store.DB) {
	{
		ctx := context.Background()
		ss := stamps()
		for _, s := range ss {
			if _, err := db.Client.RateCounter.Create().SetKey(s.name).
				SetWindowStart(s.at).SetExpiresAt(s.at.Add(time.Minute)).Save(ctx); err != nil {
				t.Fatal(err)
			}
		}
		keys := func(rs []*ent.RateCounter) []string {
			out := make([]string, len(rs))
			for i, r := range rs {
				out[i] = r.Key
			}
			return out
		}
		all := func(stamp) bool { return true }

		// Read back: the same instants.
		rows, err := db.Client.RateCounter.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			i := slices.IndexFunc(ss, func(s stamp) bool { return s.name == r.Key })
			if !r.WindowStart.Equal(ss[i].at) || !r.ExpiresAt.Equal(ss[i].at.Add(time.Minute)) {
				t.Errorf("%s: read back %s / %s, want %s", r.Key, r.WindowStart, r.ExpiresAt, ss[i].at)
			}
		}

		// ORDER BY follows the instants, both ways.
		asc, err := db.Client.RateCounter.Query().Order(ratecounter.ByWindowStart()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedNames(ss, all)
		if got := keys(asc); !slices.Equal(got, want) {
			t.Errorf("ORDER BY window_start:\n got %v\nwant %v", got, want)
		}
		desc, err := db.Client.RateCounter.Query().Order(ratecounter.ByExpiresAt(entsql.OrderDesc())).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if got := keys(desc); !slices.Equal(got, rev) {
			t.Errorf("ORDER BY expires_at DESC:\n got %v\nwant %v", got, rev)
		}

		// Range predicates agree with the instants, whatever zone the bound
		// is written in.
		zones := []*time.Location{time.UTC, time.FixedZone("UTC+8", 8*3600), time.FixedZone("UTC-5", -5*3600)}
		for _, p := range ss {
			for _, z := range zones {
				pv := p.at.In(z)
				gt, err := db.Client.RateCounter.Query().Where(ratecounter.WindowStartGT(pv)).Order(ratecounter.ByWindowStart()).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := keys(gt), sortedNames(ss, func(s stamp) bool { return s.at.After(p.at) }); !slices.Equal(got, want) {
					t.Errorf("window_start > %s (%s):\n got %v\nwant %v", p.name, pv.Format(time.RFC3339Nano), got, want)
				}
				lt, err := db.Client.RateCounter.Query().Where(ratecounter.WindowStartLT(pv)).Order(ratecounter.ByWindowStart()).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := keys(lt), sortedNames(ss, func(s stamp) bool { return s.at.Before(p.at) }); !slices.Equal(got, want) {
					t.Errorf("window_start < %s (%s):\n got %v\nwant %v", p.name, pv.Format(time.RFC3339Nano), got, want)
				}
				eq, err := db.Client.RateCounter.Query().Where(ratecounter.WindowStart(pv)).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := keys(eq); !slices.Equal(got, []string{p.name}) {
					t.Errorf("window_start = %s (%s): got %v", p.name, pv.Format(time.RFC3339Nano), got)
				}
			}
		}
	}
}

// The same holds inside a transaction, for updates and deletes, and for
// nullable times.
func TestTimesCompareAsInstantsInTxUpdateAndDelete(t *testing.T) {
	testdb.Each(t, checkTimesInTxUpdateAndDelete)
}

func checkTimesInTxUpdateAndDelete(t *testing.T, db *store.DB) {
	{
		ctx := context.Background()
		ss := stamps()
		cst := time.FixedZone("UTC+8", 8*3600)
		pivot := ss[0].at.In(cst) // utc-whole, written as 18:00:00+08:00
		err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			for i, s := range ss {
				if err := tx.LoginCode.Create().
					SetPhoneHash([]byte(s.name)).SetCodeHash([]byte{byte(i)}).
					SetCreatedAt(s.at).SetUpdatedAt(s.at).SetExpiresAt(s.at).Exec(ctx); err != nil {
					return err
				}
			}
			n, err := tx.LoginCode.Query().Where(logincode.CreatedAtGT(pivot)).Count(ctx)
			if err != nil {
				return err
			}
			if want := len(sortedNames(ss, func(s stamp) bool { return s.at.After(pivot) })); n != want {
				t.Errorf("in tx: created_at > pivot counts %d, want %d", n, want)
			}
			// Mark the codes that expired before the pivot as consumed, at
			// a time written in UTC+8.
			_, err = tx.LoginCode.Update().Where(logincode.ExpiresAtLT(pivot)).SetConsumedAt(pivot).Save(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		consumed, err := db.Client.LoginCode.Query().Where(logincode.ConsumedAtNotNil()).Order(logincode.ByCreatedAt()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range consumed {
			got = append(got, string(c.PhoneHash))
			if c.ConsumedAt == nil || !c.ConsumedAt.Equal(pivot) {
				t.Errorf("%s: consumed_at = %v, want %s", c.PhoneHash, c.ConsumedAt, pivot)
			}
		}
		if want := sortedNames(ss, func(s stamp) bool { return s.at.Before(pivot) }); !slices.Equal(got, want) {
			t.Errorf("consumed (expires_at < pivot):\n got %v\nwant %v", got, want)
		}
		// consumed_at compares as an instant too.
		n, err := db.Client.LoginCode.Query().Where(logincode.ConsumedAtGTE(ss[0].at), logincode.ConsumedAtLTE(ss[0].at)).Count(ctx)
		if err != nil || n != len(got) {
			t.Errorf("consumed_at = pivot (written in UTC) matches %d, want %d (%v)", n, len(got), err)
		}

		// Delete by a bound in another zone.
		bound := ss[0].at.Add(time.Second).In(time.FixedZone("UTC-5", -5*3600))
		deleted, err := db.Client.LoginCode.Delete().Where(logincode.ExpiresAtLTE(bound)).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(sortedNames(ss, func(s stamp) bool { return !s.at.After(bound) })); deleted != want {
			t.Errorf("deleted %d codes with expires_at <= %s, want %d", deleted, bound, want)
		}
		left, err := db.Client.LoginCode.Query().Order(logincode.ByExpiresAt()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range left {
			names = append(names, string(c.PhoneHash))
		}
		if want := sortedNames(ss, func(s stamp) bool { return s.at.After(bound) }); !slices.Equal(names, want) {
			t.Errorf("left after delete:\n got %v\nwant %v", names, want)
		}
	}
}

// The notify pool's sessions commit without waiting for the disk, whether
// the database is named by a URL or by key=value settings.
func TestNotifyPoolCommitsAsynchronously(t *testing.T) {
	url := testdb.PostgresURL(t)
	kv, err := pq.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{url, kv} {
		db, err := store.OpenPostgres(t.Context(), dsn, store.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatalf("OpenPostgres(%q): %v", dsn, err)
		}
		var notify, main string
		if err := db.Notify.QueryRowContext(t.Context(), "SHOW synchronous_commit").Scan(&notify); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL.QueryRowContext(t.Context(), "SHOW synchronous_commit").Scan(&main); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if notify != "off" || main != "on" {
			t.Errorf("%q: synchronous_commit notify=%s main=%s, want off and on", dsn, notify, main)
		}
	}
}

// Streams read through DB.Live: on PostgreSQL its own pool answers while
// every connection of the request pool is taken; on SQLite it is Client.
func TestLiveReadsHaveTheirOwnPool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect == dialect.SQLite {
			if db.Live != db.Client {
				t.Fatal("SQLite: Live should be Client")
			}
			return
		}
		ctx := t.Context()
		n := db.SQL.Stats().MaxOpenConnections
		for range n { // take the whole request pool
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tx.Rollback() })
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := db.Live.User.Query().Count(qctx); err != nil {
			t.Fatalf("live read while the request pool is taken: %v", err)
		}
		if _, err := db.Client.User.Query().Count(qctx); err == nil {
			t.Fatal("the request pool had a free connection: the test proves nothing")
		}
	})
}

// The data folder holds personal data: the folder is 0700 and the SQLite
// file and its -wal and -shm files 0600, whether Open creates them or finds
// them open to others (then it closes them); a symbolic link's target,
// outside the folder, is not touched.
func TestOpenSQLiteFilesArePrivate(t *testing.T) {
	want := func(path string, mode os.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, mode)
		}
	}
	check := func(dir string) {
		t.Helper()
		db, err := store.Open(t.Context(), "", dir, store.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		want(dir, 0o700)
		for _, f := range []string{"tongxue.db", "tongxue.db-wal", "tongxue.db-shm"} {
			want(filepath.Join(dir, f), 0o600)
		}
	}
	check(filepath.Join(t.TempDir(), "fresh"))

	old := filepath.Join(t.TempDir(), "old")
	outside := filepath.Join(t.TempDir(), "outside")
	for _, f := range []func() error{
		func() error { return os.Mkdir(old, 0o755) },
		func() error { return os.WriteFile(filepath.Join(old, "tongxue.db"), nil, 0o644) },
		func() error { return os.WriteFile(filepath.Join(old, "dev-keys"), nil, 0o644) },
		func() error { return os.Mkdir(filepath.Join(old, "media"), 0o755) },
		func() error { return os.WriteFile(outside, nil, 0o644) },
		func() error { return os.Symlink(outside, filepath.Join(old, "link")) },
		func() error { return os.Chmod(old, 0o755) }, // whatever the umask
		func() error { return os.Chmod(filepath.Join(old, "tongxue.db"), 0o644) },
		func() error { return os.Chmod(filepath.Join(old, "dev-keys"), 0o644) },
		func() error { return os.Chmod(filepath.Join(old, "media"), 0o755) },
		func() error { return os.Chmod(outside, 0o644) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	check(old)
	want(filepath.Join(old, "dev-keys"), 0o600)
	want(filepath.Join(old, "media"), 0o700)
	want(outside, 0o644)
}

package throttle

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// twoInstances opens two limiters as two server instances would: each with
// its own pool on one PostgreSQL database, the same index key, one clock.
func twoInstances(t *testing.T, b Budgets, clock *testdb.Clock, syncEvery time.Duration) (a, c *Limiter) {
	t.Helper()
	url := testdb.PostgresSchema(t)
	index := testIndex(t)
	open := func() *Limiter {
		db, err := store.OpenPostgres(t.Context(), url, store.Options{MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		cfg := Config{Budgets: b, Index: index, DB: db, SyncEvery: syncEvery}
		if clock != nil {
			cfg.Now = clock.Now
		}
		return New(cfg)
	}
	return open(), open()
}

func syncAll(t *testing.T, ls ...*Limiter) {
	t.Helper()
	for _, l := range ls {
		if err := l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

var tenPerMinute = Budgets{Anonymous: Rule{ID: 1, Name: "t", Burst: 10, Every: time.Minute}}

func TestTwoInstancesShareOneBudget(t *testing.T) {
	clock := testdb.NewClock(t0)
	a, b := twoInstances(t, tenPerMinute, clock, 0)
	inst := []*Limiter{a, b}
	// both tries k operations on A, then, after a sync, k on B.
	both := func(c Client, k int) int {
		n := admitted(t, a, c, query, k)
		syncAll(t, a, b)
		return n + admitted(t, b, c, query, k)
	}

	// A client alternating between the instances, which sync between its
	// requests, gets one budget (and at most one request of slack).
	alice := Client{IP: "198.51.100.1"}
	n := 0
	for i := range 40 {
		n += admitted(t, inst[i%2], alice, query, 1)
		syncAll(t, a, b)
	}
	if n < 10 || n > 11 {
		t.Fatalf("alternating with syncs: %d admitted, want 10 (+1)", n)
	}
	t.Logf("alternating with syncs: %d admitted of a budget of 10", n)
	// Refill is shared too: once what passed over is repaid, and a minute
	// more, one more on either instance.
	clock.Add(time.Duration(n-9) * time.Minute)
	syncAll(t, a, b)
	if n := both(alice, 3); n != 1 {
		t.Fatalf("a minute later: %d admitted, want 1", n)
	}

	// An instance hears of a client it never saw: Bob used his whole budget
	// on A; B refuses him at once.
	bob := Client{IP: "198.51.100.2"}
	if n := admitted(t, a, bob, query, 10); n != 10 {
		t.Fatal(n)
	}
	syncAll(t, a, b)
	if n := admitted(t, b, bob, query, 5); n != 0 {
		t.Fatalf("B admitted %d of a client A had emptied", n)
	}

	// Consumption on both between two syncs adds up: 5 + 5 empties it.
	carol := Client{IP: "198.51.100.3"}
	admitted(t, a, carol, query, 5)
	admitted(t, b, carol, query, 5)
	syncAll(t, a, b, a)
	if n := both(carol, 2); n != 0 {
		t.Fatalf("5 + 5 of 10 left %d", n)
	}

	// Without syncs each instance admits a burst (the slack), and what
	// passed beyond the budget is owed: both refuse until it is repaid.
	dave := Client{IP: "198.51.100.4"}
	if n := admitted(t, a, dave, query, 10) + admitted(t, b, dave, query, 10); n != 20 {
		t.Fatal(n)
	}
	syncAll(t, a, b, a)
	clock.Add(10 * time.Minute) // repaid the 10 over, the bucket is still empty
	if n := both(dave, 1); n != 0 {
		t.Fatalf("the debt was forgotten: %d admitted", n)
	}
	clock.Add(time.Minute)
	if n := both(dave, 2); n != 1 {
		t.Fatalf("after repaying: %d admitted, want 1", n)
	}

	// The table holds keyed hashes, no addresses.
	rows, err := a.pg.db.Query(`SELECT key FROM throttle_buckets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		if len(k) != 17 || bytes.Contains(k, []byte("198.51.100")) {
			t.Fatalf("key %x", k)
		}
	}
}

// TestRunShares: Run syncs on its own, every SyncEvery.
func TestRunShares(t *testing.T) {
	a, b := twoInstances(t, tenPerMinute, nil, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { a.Run(ctx) })
	wg.Go(func() { b.Run(ctx) })
	c := Client{IP: "198.51.100.9"}
	if n := admitted(t, a, c, query, 10); n != 10 {
		t.Fatal(n)
	}
	k := b.ipKey(tenPerMinute.Anonymous, c.IP)
	deadline := time.Now().Add(10 * time.Second)
	for b.shortBy(k, tenPerMinute.Anonymous, 1, time.Now().UnixNano()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("B never heard that A emptied the bucket")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPruneDeletesStaleRows(t *testing.T) {
	clock := testdb.NewClock(t0)
	a, _ := twoInstances(t, tenPerMinute, clock, 0)
	admitted(t, a, Client{IP: "198.51.100.1"}, query, 1)  // full again a minute on
	admitted(t, a, Client{IP: "198.51.100.2"}, query, 10) // full again 10 minutes on
	syncAll(t, a)
	if _, err := a.pg.db.Exec(`UPDATE throttle_buckets SET updated_at = now() - interval '2 minutes'`); err != nil {
		t.Fatal(err)
	}
	clock.Add(5 * time.Minute)
	if err := a.pg.prune(t.Context(), clock.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.pg.db.QueryRow(`SELECT count(*) FROM throttle_buckets`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows left (%v), want the one still owing", n, err)
	}
}

// TestConcurrentSync: operations keep flowing on both instances while they
// sync (run with -race); nothing is lost: the total is within the slack.
func TestConcurrentSync(t *testing.T) {
	clock := testdb.NewClock(t0)
	b := Budgets{Anonymous: Rule{ID: 1, Burst: 200, Every: time.Hour}}
	x, y := twoInstances(t, b, clock, 0)
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i := range 8 {
		l := []*Limiter{x, y}[i%2]
		wg.Go(func() {
			for j := range 100 {
				if l.Admit(Client{IP: "192.0.2.50"}, query) == nil {
					mu.Lock()
					total++
					mu.Unlock()
				}
				if j%10 == 0 {
					if err := l.Sync(t.Context()); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	syncAll(t, x, y, x)
	// 800 attempts on a budget of 200: each instance can pass what it
	// admits before hearing of the other, at most its own burst.
	if total < 200 || total > 400 {
		t.Fatalf("%d admitted", total)
	}
	if n := admitted(t, x, Client{IP: "192.0.2.50"}, query, 1) + admitted(t, y, Client{IP: "192.0.2.50"}, query, 1); n != 0 {
		t.Fatalf("after syncing, %d more admitted", n)
	}
}

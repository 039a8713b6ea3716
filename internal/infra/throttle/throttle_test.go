package throttle

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testIndex(t testing.TB) *vault.Index {
	t.Helper()
	x, err := vault.ParseIndexKey(vault.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func newTest(t testing.TB, b Budgets, clock *testdb.Clock, db *store.DB, index *vault.Index) *Limiter {
	t.Helper()
	if index == nil {
		index = testIndex(t)
	}
	return New(Config{Budgets: b, Index: index, Now: clock.Now, DB: db})
}

// retryAfter is the seconds of a RATE_LIMITED error, or -1 when err is nil;
// any other error fails the test.
func retryAfter(t testing.TB, err error) int {
	t.Helper()
	if err == nil {
		return -1
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeRateLimited {
		t.Fatalf("want RATE_LIMITED, got %v", err)
	}
	return e.Extensions["retryAfter"].(int)
}

// admitted counts how many of n operations of c pass.
func admitted(t testing.TB, l *Limiter, c Client, op Operation, n int) int {
	t.Helper()
	ok := 0
	for range n {
		if retryAfter(t, l.Admit(c, op)) < 0 {
			ok++
		}
	}
	return ok
}

var query = Operation{RootFields: 1}

func TestBucketRefusesAndRefills(t *testing.T) {
	clock := testdb.NewClock(t0)
	l := newTest(t, Budgets{Anonymous: Rule{ID: 1, Burst: 3, Every: 2 * time.Second}}, clock, nil, nil)
	c := Client{IP: "203.0.113.7"}
	if n := admitted(t, l, c, query, 3); n != 3 {
		t.Fatalf("a full bucket admitted %d of 3", n)
	}
	if s := retryAfter(t, l.Admit(c, query)); s != 2 {
		t.Fatalf("the 4th: retryAfter %d, want 2", s)
	}
	clock.Add(time.Second) // half a token
	if s := retryAfter(t, l.Admit(c, query)); s != 1 {
		t.Fatalf("half refilled: retryAfter %d, want 1", s)
	}
	clock.Add(time.Second)
	if n := admitted(t, l, c, query, 2); n != 1 {
		t.Fatalf("one token back: admitted %d of 2", n)
	}
	clock.Add(time.Hour) // refills to Burst, not beyond
	if n := admitted(t, l, c, query, 10); n != 3 {
		t.Fatalf("after an hour: admitted %d of 10, want the burst of 3", n)
	}
	// Another address has its own bucket; a refused operation took nothing.
	if n := admitted(t, l, Client{IP: "203.0.113.8"}, query, 4); n != 3 {
		t.Fatalf("another IP: admitted %d of 4", n)
	}
	// Each root field costs a token: three of them need a full bucket.
	clock.Add(time.Hour)
	if err := l.Admit(c, Operation{RootFields: 4}); retryAfter(t, err) < 0 {
		t.Fatal("4 root fields passed a bucket of 3")
	}
	if err := l.Admit(c, Operation{RootFields: 3}); err != nil {
		t.Fatalf("3 root fields: %v", err)
	}
}

func TestAnonymousAndLoggedInBudgetsDiffer(t *testing.T) {
	clock := testdb.NewClock(t0)
	l := newTest(t, DefaultBudgets(), clock, nil, nil)
	// An address is shared by everyone behind a campus NAT, a session is one
	// client: the two budgets are sized apart.
	if SessionRule.Burst == AnonymousPerIP.Burst {
		t.Fatalf("the session and address budgets must differ for this test: %+v vs %+v", SessionRule, AnonymousPerIP)
	}
	ip := "198.51.100.20"
	if n := admitted(t, l, Client{IP: ip}, query, 1000); n != AnonymousPerIP.Burst {
		t.Fatalf("anonymous: %d admitted, want %d", n, AnonymousPerIP.Burst)
	}
	// Logged in on the same address: charged to the session, not the address.
	if n := admitted(t, l, Client{IP: ip, SessionID: 7, UserID: 3}, query, 1000); n != SessionRule.Burst {
		t.Fatalf("session: %d admitted, want %d", n, SessionRule.Burst)
	}
	// A second session of the same user has a budget of its own.
	if err := l.Admit(Client{IP: ip, SessionID: 8, UserID: 3}, query); err != nil {
		t.Fatalf("second session: %v", err)
	}
	// Both refill: a minute on, each bucket is full again (Burst × Every
	// is 12 s and 30 s).
	clock.Add(time.Minute)
	if n := admitted(t, l, Client{IP: ip}, query, 1000); n != AnonymousPerIP.Burst {
		t.Fatalf("anonymous after a minute: %d", n)
	}
	clock.Add(time.Minute)
	if n := admitted(t, l, Client{IP: ip, SessionID: 7, UserID: 3}, query, 1000); n != SessionRule.Burst {
		t.Fatalf("session after a minute: %d", n)
	}
}

func TestExpensiveMutationsHaveTheirOwnBudget(t *testing.T) {
	clock := testdb.NewClock(t0)
	l := newTest(t, DefaultBudgets(), clock, nil, nil)
	alice := Client{IP: "192.0.2.1", SessionID: 1, UserID: 10}
	verify := Operation{RootFields: 1, Mutations: []string{"submitStudentVerification"}}
	if n := admitted(t, l, alice, verify, 20); n != PartnerRule.Burst {
		t.Fatalf("verifications admitted %d, want %d", n, PartnerRule.Burst)
	}
	if s := retryAfter(t, l.Admit(alice, verify)); s != int(PartnerRule.Every/time.Second) {
		t.Fatalf("retryAfter %d, want %d", s, int(PartnerRule.Every/time.Second))
	}
	// The partner budget is shared with applyBankAccount, not with orders,
	// and other mutations and queries go on.
	if err := l.Admit(alice, Operation{RootFields: 1, Mutations: []string{"applyBankAccount"}}); retryAfter(t, err) < 0 {
		t.Fatal("applyBankAccount passed an empty partner budget")
	}
	order := Operation{RootFields: 1, Mutations: []string{"placeOrder"}}
	for _, op := range []Operation{order, query, {RootFields: 1, Mutations: []string{"setCartQuantity"}}} {
		if err := l.Admit(alice, op); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	// Per user: another session of Alice shares it, Bob does not.
	if err := l.Admit(Client{SessionID: 2, UserID: 10}, verify); retryAfter(t, err) < 0 {
		t.Fatal("Alice's second session got a fresh partner budget")
	}
	if err := l.Admit(Client{SessionID: 3, UserID: 11}, verify); err != nil {
		t.Fatalf("Bob: %v", err)
	}
	clock.Add(PartnerRule.Every)
	if err := l.Admit(alice, verify); err != nil {
		t.Fatalf("after %v: %v", PartnerRule.Every, err)
	}

	// Every alias costs a token, and an operation takes from all its
	// buckets or from none.
	bob := Client{SessionID: 4, UserID: 12}
	nine := Operation{RootFields: 9, Mutations: []string{"placeOrder", "placeOrder", "placeOrder", "placeOrder",
		"placeOrder", "placeOrder", "placeOrder", "placeOrder", "placeOrder"}}
	if err := l.Admit(bob, nine); err != nil {
		t.Fatal(err)
	}
	both := Operation{RootFields: 3, Mutations: []string{"placeOrder", "placeOrder", "submitStudentVerification"}}
	if err := l.Admit(bob, both); retryAfter(t, err) < 0 {
		t.Fatal("two orders passed a budget with one left")
	}
	if n := admitted(t, l, bob, verify, 10); n != PartnerRule.Burst {
		t.Fatalf("the refused operation took from the partner budget: %d left", n)
	}
	if err := l.Admit(bob, order); err != nil {
		t.Fatalf("the refused operation took from the order budget: %v", err)
	}
	// Anonymous callers of expensive mutations are refused by @auth; they
	// pay their address's budget only.
	if err := l.Admit(Client{IP: "192.0.2.9"}, verify); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			clock := testdb.NewClock(t0)
			b := Budgets{Anonymous: Rule{ID: 1, Burst: 5, Every: time.Minute}}
			l := New(Config{Budgets: b, Index: testIndex(t), Now: clock.Now, MaxKeys: 1024})
			if shared {
				l.pg = newPGSync(nil) // consumption to share, and no sync ever comes
			}
			victim := Client{IP: "192.0.2.77"}
			admitted(t, l, victim, query, 5)
			for i := range 100_000 { // an attacker rotating addresses
				_ = l.Admit(Client{IP: fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)}, query)
			}
			if n := l.Len(); n > 1024 {
				t.Fatalf("%d buckets held, cap 1024", n)
			}
			dirty := 0
			for i := range l.shards {
				dirty += len(l.shards[i].dirty)
			}
			if dirty > 2*1024+nShards {
				t.Fatalf("%d keys listed to share", dirty)
			}
			if !shared {
				// Eviction takes the fullest buckets: the empty one is still there.
				if err := l.Admit(victim, query); retryAfter(t, err) < 0 {
					t.Fatal("the flood evicted an empty bucket")
				}
				clock.Add(time.Hour)
				if l.Sweep(); l.Len() != 0 {
					t.Fatalf("after an hour %d buckets remain", l.Len())
				}
			}
		})
	}
}

// TestNoRawIPs: keys are keyed hashes; the same IP under another index key
// gives another key.
func TestNoRawIPs(t *testing.T) {
	clock := testdb.NewClock(t0)
	a := newTest(t, DefaultBudgets(), clock, nil, nil)
	b := newTest(t, DefaultBudgets(), clock, nil, nil)
	ka, kb := a.ipKey(AnonymousPerIP, "198.51.100.1"), b.ipKey(AnonymousPerIP, "198.51.100.1")
	if ka == kb || ka[0] != AnonymousPerIP.ID {
		t.Fatalf("keys %x %x", ka, kb)
	}
	if a.ipKey(AnonymousPerIP, "1") == a.intKey(AnonymousPerIP, domainSession, 1) {
		t.Fatal("an IP and a session share a key")
	}
	// IPv6 counts by /64; IPv4, also written as IPv6, by address.
	if a.ipKey(AnonymousPerIP, "2001:db8:1:2::1") != a.ipKey(AnonymousPerIP, "2001:db8:1:2:ffff::9") ||
		a.ipKey(AnonymousPerIP, "2001:db8:1:2::1") == a.ipKey(AnonymousPerIP, "2001:db8:1:3::1") ||
		a.ipKey(AnonymousPerIP, "::ffff:192.0.2.1") == a.ipKey(AnonymousPerIP, "::ffff:192.0.2.2") {
		t.Fatal("IPv6 /64 keys")
	}
}

// TestRunStops: Run is the limiter's only goroutine and ends with its
// context, on both backends (on PostgreSQL after syncing).
func TestRunStops(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		l := New(Config{Budgets: DefaultBudgets(), Index: testIndex(t), DB: db, SyncEvery: 5 * time.Millisecond})
		_ = l.Admit(Client{IP: "192.0.2.1"}, query)
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.Run(ctx) }()
		// Wait for a sync to have shared the bucket (PostgreSQL) rather than
		// for a fixed time: under load the first sync may come late.
		shared := func() int {
			var rows int
			if err := db.SQL.QueryRow(`SELECT count(*) FROM throttle_buckets`).Scan(&rows); err != nil {
				return -1
			}
			return rows
		}
		time.Sleep(50 * time.Millisecond) // a few syncs
		for wait := time.Now().Add(5 * time.Second); db.Dialect == dialect.Postgres && shared() != 1 && time.Now().Before(wait); {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		if db.Dialect == dialect.Postgres {
			if rows := shared(); rows != 1 {
				t.Fatalf("shared rows %d, want 1 (-1: no table: Run never synced)", rows)
			}
		}
	})
}

func TestSyncWithoutPostgresIsANoOp(t *testing.T) {
	db := testdb.Open(t, dialect.SQLite, testdb.Options{})
	l := newTest(t, DefaultBudgets(), testdb.NewClock(t0), db, nil)
	_ = l.Admit(Client{IP: "192.0.2.1"}, query)
	if err := l.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkAdmit: one anonymous operation's check (keyed hash and bucket),
// from many goroutines, over 65,536 addresses.
func BenchmarkAdmit(b *testing.B) {
	l := New(Config{Budgets: DefaultBudgets(), Index: testIndex(b)})
	ips := make([]string, 1<<16)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.9.%d.%d", i>>8, i&255)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_ = l.Admit(Client{IP: ips[i&(1<<16-1)]}, query)
			i += 7
		}
	})
}

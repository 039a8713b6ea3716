package pubsub_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const wait = 10 * time.Second // generous bound for anything asynchronous

// backends lists both implementations; each test runs against each.
var backends = []struct {
	name string
	open func(t testing.TB, opts pubsub.Options) pubsub.Bus
}{
	{"local", openLocal},
	{"postgres", func(t testing.TB, opts pubsub.Options) pubsub.Bus { b, _ := openPG(t, opts); return b }},
}

func openLocal(t testing.TB, opts pubsub.Options) pubsub.Bus {
	b := pubsub.NewLocal(opts)
	t.Cleanup(func() { b.Close() })
	return b
}

// openPG opens one "instance": its own *sql.DB and listener, on a channel of
// the test's own unless opts names one, with a unique application_name
// (returned) so the test can find its listener's backend.
func openPG(t testing.TB, opts pubsub.Options) (pubsub.Bus, string) {
	t.Helper()
	base := testdb.PostgresURL(t)
	if opts.Channel == "" {
		opts.Channel = randomName("pubsub_test_")
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 20 * time.Millisecond // exercise pings alongside traffic
	}
	if opts.MinReconnect == 0 {
		opts.MinReconnect = 50 * time.Millisecond
	}
	opts.Logger = quietLogger()
	app := randomName("pubsub_test_")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()

	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := pubsub.NewPostgres(ctx, u.String(), db, opts)
	if err != nil {
		t.Fatalf("NewPostgres: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, app
}

func randomName(prefix string) string {
	var r [6]byte
	_, _ = rand.Read(r[:])
	return prefix + hex.EncodeToString(r[:])
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func num(i int) []byte { return fmt.Appendf(nil, `{"n":%d}`, i) }

// n decodes a payload made by num; -1 for anything else.
func n(t testing.TB, m pubsub.Message) int {
	t.Helper()
	var v struct{ N *int }
	if err := json.Unmarshal(m.Payload, &v); err != nil || v.N == nil {
		return -1
	}
	return *v.N
}

func publish(t testing.TB, b pubsub.Bus, topic string, payload []byte) {
	t.Helper()
	if err := b.Publish(context.Background(), topic, payload); err != nil {
		t.Fatalf("Publish(%s, %s): %v", topic, payload, err)
	}
}

func subscribe(t testing.TB, b pubsub.Bus, topic string) *pubsub.Subscription {
	t.Helper()
	s, err := b.Subscribe(t.Context(), topic)
	if err != nil {
		t.Fatalf("Subscribe(%s): %v", topic, err)
	}
	return s
}

func recv(t testing.TB, s *pubsub.Subscription) pubsub.Message {
	t.Helper()
	select {
	case m, ok := <-s.C():
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return m
	case <-time.After(wait):
		t.Fatal("no message")
	}
	panic("unreachable")
}

// ended drains s until its channel closes and returns the messages it still
// held and Err.
func ended(t testing.TB, s *pubsub.Subscription) ([]pubsub.Message, error) {
	t.Helper()
	var got []pubsub.Message
	timeout := time.After(wait)
	for {
		select {
		case m, ok := <-s.C():
			if !ok {
				return got, s.Err()
			}
			got = append(got, m)
		case <-timeout:
			t.Fatal("subscription did not end")
		}
	}
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wait); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// 1. Every subscriber of a topic gets each message once, in publish order,
// and nothing of other topics; the publisher's own messages come back once
// (for PostgreSQL through the NOTIFY round trip only).
func TestDelivery(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{Buffer: 256})
			subsA := []*pubsub.Subscription{subscribe(t, b, "a"), subscribe(t, b, "a"), subscribe(t, b, "a")}
			subB := subscribe(t, b, "b")

			const count = 100
			for i := range count {
				publish(t, b, "a", num(i))
			}
			publish(t, b, "b", num(1000))
			publish(t, b, "a", num(-2)) // end marker
			publish(t, b, "b", num(1001))

			for _, s := range subsA {
				for i := range count {
					if m := recv(t, s); m.Topic != "a" || n(t, m) != i {
						t.Fatalf("got %s %s, want a %d", m.Topic, m.Payload, i)
					}
				}
				// A duplicate or a "b" message would show up before the marker.
				if m := recv(t, s); m.Topic != "a" || string(m.Payload) != `{"n":-2}` {
					t.Fatalf("got %s %s, want the end marker", m.Topic, m.Payload)
				}
			}
			for _, want := range []int{1000, 1001} {
				if m := recv(t, subB); m.Topic != "b" || n(t, m) != want {
					t.Fatalf("topic b: got %s %s, want b %d", m.Topic, m.Payload, want)
				}
			}
			if got := pubsub.SubscriberCount(b); got != 4 {
				t.Fatalf("SubscriberCount = %d, want 4", got)
			}
			for _, s := range append(subsA, subB) {
				if err := s.Err(); err != nil {
					t.Fatalf("live subscription has Err %v", err)
				}
			}
		})
	}
}

// 2. Two instances (own *sql.DB, own listener) on one database: a subscriber
// on A receives what B publishes, and B's own subscriber gets it once.
func TestPostgresTwoInstances(t *testing.T) {
	channel := randomName("pubsub_test_")
	a, _ := openPG(t, pubsub.Options{Channel: channel})
	b, _ := openPG(t, pubsub.Options{Channel: channel})
	onA, onB := subscribe(t, a, "order:1"), subscribe(t, b, "order:1")

	for i := range 10 {
		publish(t, b, "order:1", num(i))
	}
	publish(t, a, "order:1", num(-2))
	for _, s := range []*pubsub.Subscription{onA, onB} {
		for i := range 10 {
			if m := recv(t, s); n(t, m) != i {
				t.Fatalf("got %s, want %d", m.Payload, i)
			}
		}
		if m := recv(t, s); n(t, m) != -2 {
			t.Fatalf("got %s, want A's marker", m.Payload)
		}
	}
}

// 3. A subscriber that never reads is ended with ErrLagged once its buffer
// (the default, 64) is full, while one that keeps up gets everything in
// order; publishing never waits for either.
func TestSlowSubscriberLagged(t *testing.T) {
	const buffer, count = 64, 1000
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{})
			slow := subscribe(t, b, "t")
			fast := subscribe(t, b, "t")

			// The fast subscriber is read in step with the publisher: a
			// separate reader goroutine could not keep up with an in-process
			// publish loop, and would itself (rightly) lag.
			var publishing time.Duration
			for i := range count {
				start := time.Now()
				publish(t, b, "t", num(i))
				publishing += time.Since(start)
				if m := recv(t, fast); n(t, m) != i {
					t.Fatalf("fast subscriber: got %s, want %d", m.Payload, i)
				}
			}
			// Generous bounds: a publisher blocked by the slow subscriber would
			// hang, not be slow. PostgreSQL pays a round trip per publish, on a
			// CI machine shared with other packages' tests.
			limit := 2 * time.Second
			if be.name == "postgres" {
				limit = 10 * time.Second
			}
			t.Logf("%d publishes: %v", count, publishing)
			if publishing > limit {
				t.Fatalf("%d publishes took %v", count, publishing)
			}
			if err := fast.Err(); err != nil {
				t.Fatalf("fast subscriber ended: %v", err)
			}

			held, err := ended(t, slow)
			if !errors.Is(err, pubsub.ErrLagged) {
				t.Fatalf("slow subscriber: Err = %v, want ErrLagged", err)
			}
			if len(held) != buffer || n(t, held[0]) != 0 || n(t, held[buffer-1]) != buffer-1 {
				t.Fatalf("slow subscriber held %d messages, want the first %d", len(held), buffer)
			}
			if c := pubsub.SubscriberCount(b); c != 1 {
				t.Fatalf("SubscriberCount = %d, want 1 (the lagged one removed)", c)
			}
		})
	}
}

// 4. Ending the subscribe context ends the subscription with ctx.Err() and
// removes it from the bus; Close does the same with ErrClosed.
func TestSubscriptionEnd(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{})

			ctx, cancel := context.WithCancel(t.Context())
			s, err := b.Subscribe(ctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			if c := pubsub.SubscriberCount(b); c != 1 {
				t.Fatalf("SubscriberCount = %d, want 1", c)
			}
			cancel()
			if _, err := ended(t, s); !errors.Is(err, context.Canceled) {
				t.Fatalf("Err = %v, want context.Canceled", err)
			}
			if c := pubsub.SubscriberCount(b); c != 0 {
				t.Fatalf("SubscriberCount = %d after cancel, want 0", c)
			}

			dctx, dcancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer dcancel()
			s, err = b.Subscribe(dctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ended(t, s); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
			}

			s = subscribe(t, b, "t")
			s.Close()
			s.Close() // idempotent
			if _, err := ended(t, s); !errors.Is(err, pubsub.ErrClosed) {
				t.Fatalf("Err = %v after Close, want ErrClosed", err)
			}
			if c := pubsub.SubscriberCount(b); c != 0 {
				t.Fatalf("SubscriberCount = %d after Close, want 0", c)
			}

			if _, err := b.Subscribe(ctx, "t"); !errors.Is(err, context.Canceled) {
				t.Fatalf("Subscribe with a done ctx: err = %v", err)
			}
		})
	}
}

// 5. 1,000 subscriptions opened and ended leave no goroutine behind: the bus
// runs none per subscription.
func TestNoGoroutineLeak(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{PingInterval: time.Hour})
			before := runtime.NumGoroutine()

			var cancels []context.CancelFunc
			var subs []*pubsub.Subscription
			for i := range 1000 {
				ctx, cancel := context.WithCancel(t.Context())
				s, err := b.Subscribe(ctx, fmt.Sprintf("topic-%d", i%10))
				if err != nil {
					t.Fatal(err)
				}
				cancels, subs = append(cancels, cancel), append(subs, s)
			}
			if c := pubsub.SubscriberCount(b); c != 1000 {
				t.Fatalf("SubscriberCount = %d, want 1000", c)
			}
			if g := runtime.NumGoroutine(); g > before+5 {
				t.Fatalf("%d goroutines for 1000 idle subscriptions, had %d", g, before)
			}
			for i, s := range subs {
				if i%2 == 0 {
					cancels[i]()
				} else {
					s.Close()
				}
			}
			for _, s := range subs {
				ended(t, s)
			}
			for _, c := range cancels {
				c()
			}
			if c := pubsub.SubscriberCount(b); c != 0 {
				t.Fatalf("SubscriberCount = %d, want 0", c)
			}
			eventually(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}

// 5b. Closing a PostgreSQL bus stops its reader, pinger and listener.
func TestPostgresCloseStopsGoroutines(t *testing.T) {
	base := testdb.PostgresURL(t)
	before := runtime.NumGoroutine()
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pubsub.NewPostgres(t.Context(), base, db, pubsub.Options{
		Channel: randomName("pubsub_test_"), PingInterval: 10 * time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := subscribe(t, b, "t")
	publish(t, b, "t", num(1))
	recv(t, s)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db.Close()
	eventually(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= before })
}

// 6. When the listener's connection is killed, lib/pq reconnects; current
// subscriptions end with ErrGap (events may have been missed), and new ones
// receive again.
func TestPostgresReconnect(t *testing.T) {
	b, app := openPG(t, pubsub.Options{PingInterval: time.Hour})
	s1, s2 := subscribe(t, b, "x"), subscribe(t, b, "y")

	admin, err := sql.Open("postgres", testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	err = admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN%' AND application_name = $1`, app).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listener backends (err %v), want 1", killed, err)
	}

	for _, s := range []*pubsub.Subscription{s1, s2} {
		if _, err := ended(t, s); !errors.Is(err, pubsub.ErrGap) {
			t.Fatalf("Err = %v, want ErrGap", err)
		}
	}
	if c := pubsub.SubscriberCount(b); c != 0 {
		t.Fatalf("SubscriberCount = %d, want 0", c)
	}
	// ErrGap is sent once LISTEN is restored, so this one is on the new connection.
	s3 := subscribe(t, b, "x")
	publish(t, b, "x", num(7))
	if m := recv(t, s3); n(t, m) != 7 {
		t.Fatalf("got %s after reconnect", m.Payload)
	}
}

// 7. Close ends every subscription with ErrClosed and refuses further use.
func TestClose(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{})
			subs := []*pubsub.Subscription{subscribe(t, b, "a"), subscribe(t, b, "a"), subscribe(t, b, "b")}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for _, s := range subs {
				if _, err := ended(t, s); !errors.Is(err, pubsub.ErrClosed) {
					t.Fatalf("Err = %v, want ErrClosed", err)
				}
			}
			if err := b.Publish(t.Context(), "a", num(1)); !errors.Is(err, pubsub.ErrClosed) {
				t.Fatalf("Publish after Close: %v, want ErrClosed", err)
			}
			if _, err := b.Subscribe(t.Context(), "a"); !errors.Is(err, pubsub.ErrClosed) {
				t.Fatalf("Subscribe after Close: %v, want ErrClosed", err)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

// 8. Payloads over MaxPayload (and malformed ones) are refused; one of
// exactly MaxPayload bytes fits, NOTIFY's envelope included.
func TestPayloadLimits(t *testing.T) {
	jsonString := func(size int) []byte { return []byte(`"` + strings.Repeat("x", size-2) + `"`) }
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{})
			longest := strings.Repeat("t", pubsub.MaxTopic)
			s := subscribe(t, b, longest)

			if err := b.Publish(t.Context(), "t", jsonString(pubsub.MaxPayload+1)); !errors.Is(err, pubsub.ErrTooLarge) {
				t.Fatalf("oversized payload: err = %v, want ErrTooLarge", err)
			}
			if err := b.Publish(t.Context(), strings.Repeat("t", pubsub.MaxTopic+1), num(1)); !errors.Is(err, pubsub.ErrTooLarge) {
				t.Fatalf("oversized topic: err = %v, want ErrTooLarge", err)
			}
			for _, bad := range [][]byte{[]byte(`{"n":`), []byte("\xff"), nil} {
				if err := b.Publish(t.Context(), "t", bad); err == nil {
					t.Fatalf("payload %q accepted", bad)
				}
			}
			if err := b.Publish(t.Context(), "", num(1)); err == nil {
				t.Fatal("empty topic accepted")
			}

			big := jsonString(pubsub.MaxPayload)
			publish(t, b, longest, big)
			if m := recv(t, s); string(m.Payload) != string(big) {
				t.Fatalf("payload of %d bytes came back as %d bytes", len(big), len(m.Payload))
			}
		})
	}
}

// Publishers, subscribers that lag, cancel and close, and a final Close, all
// at once: under -race this checks that no send can meet a closed channel
// and that every subscription is accounted for.
func TestConcurrentChurn(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, pubsub.Options{Buffer: 4})
			ctx, stop := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			for p := range 4 {
				wg.Go(func() {
					for i := 0; ctx.Err() == nil; i++ {
						_ = b.Publish(ctx, fmt.Sprintf("t%d", i%3), num(p))
					}
				})
			}
			for w := range 8 {
				wg.Go(func() {
					for i := 0; ctx.Err() == nil; i++ {
						sctx, cancel := context.WithCancel(ctx)
						s, err := b.Subscribe(sctx, fmt.Sprintf("t%d", i%3))
						if err != nil {
							cancel()
							continue
						}
						switch (w + i) % 3 {
						case 0:
							cancel()
						case 1:
							s.Close()
						} // case 2: left to lag
						for range s.C() {
						}
						if s.Err() == nil {
							t.Error("ended subscription has no Err")
						}
						cancel()
					}
				})
			}
			time.Sleep(300 * time.Millisecond)
			stop()
			wg.Wait()
			if c := pubsub.SubscriberCount(b); c != 0 {
				t.Fatalf("SubscriberCount = %d, want 0", c)
			}
		})
	}
}

// A listener that cannot connect fails NewPostgres at once rather than
// retrying forever, and leaves nothing running.
func TestPostgresBadDSN(t *testing.T) {
	base := testdb.PostgresURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + randomName("no_such_db_")
	before := runtime.NumGoroutine()
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if _, err := pubsub.NewPostgres(ctx, u.String(), db, pubsub.Options{Logger: quietLogger()}); err == nil || ctx.Err() != nil {
		t.Fatalf("NewPostgres on a missing database: err = %v, ctx %v", err, ctx.Err())
	}
	db.Close()
	eventually(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= before })
}

package live_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/live"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

type event struct {
	ID int       `json:"id"`
	At time.Time `json:"at"`
}

// events is a committed-events log: what a Source would read from its table.
type events struct {
	mu  sync.Mutex
	all []event
}

func (s *events) commit(e event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, e)
}

func (s *events) source(bus pubsub.Bus) live.Source[event] {
	return live.Source[event]{
		Bus: bus, Topic: "t", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Replay: func(_ context.Context, w live.Window, limit int) ([]event, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var out []event
			for _, e := range s.all {
				in := e.ID > w.AfterID || (!w.Since.IsZero() && !e.At.Before(w.Since))
				if e.ID > w.PageAfter && e.ID <= w.UpTo && in {
					out = append(out, e)
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
			if len(out) > limit {
				out = out[:limit]
			}
			return out, nil
		},
		Newest: func(context.Context) (int, time.Time, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var n event
			for _, e := range s.all {
				if e.ID > n.ID {
					n = e
				}
			}
			return n.ID, n.At, nil
		},
		Decode: func(b []byte) (event, error) {
			var e event
			return e, json.Unmarshal(b, &e)
		},
		ID: func(e event) int { return e.ID },
		At: func(e event) time.Time { return e.At },
	}
}

func publish(t *testing.T, bus pubsub.Bus, e event) {
	t.Helper()
	b, _ := json.Marshal(e)
	if err := bus.Publish(context.Background(), "t", b); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, c <-chan event) event {
	t.Helper()
	select {
	case e, ok := <-c:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return event{}
}

// A transaction that commits after a later one (PostgreSQL commits out of
// id order) is still delivered after a resync, and nothing is sent twice.
func TestLateCommitIsDeliveredOnce(t *testing.T) {
	before := runtime.NumGoroutine()
	bus := newBus(2)
	defer bus.Close()
	store := &events{}
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	store.commit(event{1, t0})

	ctx, cancel := context.WithCancel(context.Background())
	c := live.Stream(ctx, store.source(bus), -1) // from now on: not event 1
	waitSubscribed(t, bus)

	// Event 3 commits first and is sent; event 2 commits later, but its
	// notification is lost. More events than the stream's buffer and the
	// bus's (2) together arrive while nobody reads, so the stream is sure to
	// lag and resync from the store, where it finds event 2.
	at := func(id int) time.Time { return t0.Add(time.Duration(id) * time.Millisecond) }
	store.commit(event{3, at(3)})
	publish(t, bus, event{3, at(3)})
	if e := next(t, c); e.ID != 3 {
		t.Fatalf("got %d, want 3", e.ID)
	}
	store.commit(event{2, at(2)})
	last := live.Buffer + 10
	for i := 4; i <= last; i++ {
		store.commit(event{i, at(i)})
		publish(t, bus, event{i, at(i)})
	}
	got := map[int]int{}
	for len(got) < last-2 { // 2 and 4..last
		got[next(t, c).ID]++
	}
	for id := 2; id <= last; id++ {
		if id != 3 && got[id] != 1 {
			t.Fatalf("event %d delivered %d times (all: %v)", id, got[id], got)
		}
	}
	if got[1] != 0 || got[3] != 0 { // 1 predates the stream; 3 was sent
		t.Fatalf("resent or replayed an old event: %v", got)
	}
	select {
	case e := <-c:
		t.Fatalf("extra event %d", e.ID)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	for range c {
	}
	waitGoroutines(t, before)
}

// A client resuming after id n gets exactly the ids above n, then live ones.
func TestResumeAfter(t *testing.T) {
	bus := newBus(0)
	defer bus.Close()
	store := &events{}
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= live.ReplayBatch+5; i++ { // more than one replay page
		store.commit(event{i, t0.Add(time.Duration(i) * time.Millisecond)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := live.Stream(ctx, store.source(bus), 3)
	for want := 4; want <= live.ReplayBatch+5; want++ {
		if e := next(t, c); e.ID != want {
			t.Fatalf("got %d, want %d", e.ID, want)
		}
	}
	waitSubscribed(t, bus)
	id := live.ReplayBatch + 6
	store.commit(event{id, t0})
	publish(t, bus, event{id, t0})
	if e := next(t, c); e.ID != id {
		t.Fatalf("live: got %d, want %d", e.ID, id)
	}
}

// signalBus tells when a stream has subscribed.
type signalBus struct {
	pubsub.Bus
	subscribed chan struct{}
}

func newBus(buffer int) *signalBus {
	return &signalBus{pubsub.NewLocal(pubsub.Options{Buffer: buffer}), make(chan struct{}, 16)}
}

func (b *signalBus) Subscribe(ctx context.Context, topic string) (*pubsub.Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, topic)
	b.subscribed <- struct{}{}
	return s, err
}

func waitSubscribed(t *testing.T, bus *signalBus) {
	t.Helper()
	select {
	case <-bus.subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not subscribe")
	}
}

func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, before %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A stream from now on replays nothing, even when the store was empty as it
// began and an event commits at that moment: the event arrives from the bus
// (as published, not as re-read from the store later).
func TestFromNowReplaysNothing(t *testing.T) {
	bus := newBus(0)
	defer bus.Close()
	store := &events{}
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	src := store.source(bus)
	newest, calls := src.Newest, 0
	src.Newest = func(ctx context.Context) (int, time.Time, error) {
		id, at, err := newest(ctx)
		if calls++; calls == 1 { // event 1 commits just after the stream looked
			store.commit(event{1, t0})
			publish(t, bus, event{1, t0})
		}
		return id, at, err
	}
	replay := src.Replay
	src.Replay = func(ctx context.Context, w live.Window, limit int) ([]event, error) {
		evs, err := replay(ctx, w, limit)
		if len(evs) > 0 {
			t.Errorf("replayed %v", evs)
		}
		return evs, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := live.Stream(ctx, src, -1)
	if e := next(t, c); e.ID != 1 {
		t.Fatalf("got %d, want 1", e.ID)
	}
}

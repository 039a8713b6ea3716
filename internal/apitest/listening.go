package apitest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// watchedBus counts the server's subscriptions to the bus, so a test knows
// when a websocket subscription is live (graphql-transport-ws has no
// acknowledgement for subscribe): from then on every commit reaches it.
type watchedBus struct {
	pubsub.Bus
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every subscription
	n       int
	ends    int // the server's own subscriptions to session ends
}

func watch(b pubsub.Bus) *watchedBus {
	return &watchedBus{Bus: b, changed: make(chan struct{})}
}

func (b *watchedBus) Subscribe(ctx context.Context, topic string) (*pubsub.Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, topic)
	if err == nil {
		b.mu.Lock()
		if topic == auth.SessionTopic { // the server's own, not a client's
			b.ends++
		} else {
			b.n++
		}
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	}
	return s, err
}

// await waits until the bus state satisfies ok.
func (b *watchedBus) await(t testing.TB, ok func() bool, what func() string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		done, changed := ok(), b.changed
		b.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			b.mu.Lock()
			defer b.mu.Unlock()
			t.Fatal(what())
		}
	}
}

// Listening waits until the server has made n bus subscriptions for
// clients in all since it started (a resync counts again): call it with the number of
// live subscriptions opened so far, before making the change they should
// hear of.
func (e *Env) Listening(t testing.TB, n int) {
	t.Helper()
	e.bus.await(t, func() bool { return e.bus.n >= n },
		func() string { return fmt.Sprintf("%d of %d subscriptions reached the bus", e.bus.n, n) })
}

package apitest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/pubsub"
)

// watchedBus counts the server's subscriptions to the bus, so a test knows
// when a websocket subscription is live (graphql-transport-ws has no
// acknowledgement for subscribe): from then on every commit reaches it.
type watchedBus struct {
	pubsub.Bus
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every subscription
	n       int
}

func watch(b pubsub.Bus) *watchedBus {
	return &watchedBus{Bus: b, changed: make(chan struct{})}
}

func (b *watchedBus) Subscribe(ctx context.Context, topic string) (*pubsub.Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, topic)
	if err == nil {
		b.mu.Lock()
		b.n++
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	}
	return s, err
}

// Listening waits until the server has made n bus subscriptions in all
// since it started (a resync counts again): call it with the number of
// live subscriptions opened so far, before making the change they should
// hear of.
func (e *Env) Listening(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		e.bus.mu.Lock()
		have, changed := e.bus.n, e.bus.changed
		e.bus.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d of %d subscriptions reached the bus", have, n)
		}
	}
}

// Package loader batches look-ups made by many resolvers of one request into
// one query (a dataloader): gqlgen resolves the items of a list in
// parallel, so the keys asked for within a short window are fetched together.
package loader

import (
	"context"
	"sync"
	"time"
)

// Loader fetches values by key in batches.
type Loader[K comparable, V any] struct {
	fetch func(ctx context.Context, keys []K) (map[K]V, error)
	wait  time.Duration

	mu    sync.Mutex
	batch *batch[K, V]
	done  map[K]V // values fetched earlier in the request
}

type batch[K comparable, V any] struct {
	keys  []K
	ready chan struct{}
	vals  map[K]V
	err   error
}

// New returns a loader that waits up to wait for more keys before fetching.
func New[K comparable, V any](wait time.Duration, fetch func(ctx context.Context, keys []K) (map[K]V, error)) *Loader[K, V] {
	return &Loader[K, V]{fetch: fetch, wait: wait, done: map[K]V{}}
}

// Load returns the value of key (the zero value when fetch returned none).
func (l *Loader[K, V]) Load(ctx context.Context, key K) (V, error) {
	l.mu.Lock()
	if v, ok := l.done[key]; ok {
		l.mu.Unlock()
		return v, nil
	}
	b := l.batch
	if b == nil {
		b = &batch[K, V]{ready: make(chan struct{})}
		l.batch = b
		time.AfterFunc(l.wait, func() { l.run(context.WithoutCancel(ctx), b) })
	}
	b.keys = append(b.keys, key)
	l.mu.Unlock()
	select {
	case <-b.ready:
		return b.vals[key], b.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (l *Loader[K, V]) run(ctx context.Context, b *batch[K, V]) {
	l.mu.Lock()
	l.batch = nil
	keys := b.keys
	l.mu.Unlock()
	b.vals, b.err = l.fetch(ctx, keys)
	if b.err == nil {
		l.mu.Lock()
		for k, v := range b.vals {
			l.done[k] = v
		}
		l.mu.Unlock()
	}
	close(b.ready)
}

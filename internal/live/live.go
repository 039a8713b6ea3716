// Package live turns durable events into subscription streams: the stored
// events after the client's last one, then live ones from the bus, each once
// and in order, resyncing from the store whenever the bus drops the stream.
package live

import (
	"context"
	"errors"
	"log/slog"

	"github.com/tongxue/tongxue/internal/pubsub"
)

// ReplayBatch bounds one read of missed events.
const ReplayBatch = 200

// Source describes one kind of event stream.
type Source[T any] struct {
	Bus   pubsub.Bus
	Topic string
	// Replay returns stored events with id > after, oldest first, at most limit.
	Replay func(ctx context.Context, after, limit int) ([]T, error)
	// Newest returns the id of the newest stored event (0 if none).
	Newest func(ctx context.Context) (int, error)
	// Decode reads a bus payload; ID gives an event's id (ids grow).
	Decode func(payload []byte) (T, error)
	ID     func(T) int
	Log    *slog.Logger
}

// Stream sends src's events after `after` (after < 0: only those that
// happen from now on). It subscribes before it replays, so nothing falls
// between the two; when the bus drops it (the client lagged, or the bus may
// have missed messages) it replays from the store and subscribes again. The
// goroutine ends with ctx and never holds up a publisher: a slow client only
// makes its own stream resync.
func Stream[T any](ctx context.Context, src Source[T], after int) <-chan T {
	out := make(chan T, 1)
	go func() {
		defer close(out)
		last := after
		send := func(e T) bool {
			if src.ID(e) <= last {
				return true // replay and live overlap
			}
			select {
			case out <- e:
				last = src.ID(e)
				return true
			case <-ctx.Done():
				return false
			}
		}
		for ctx.Err() == nil {
			sub, err := src.Bus.Subscribe(ctx, src.Topic)
			if err != nil {
				src.Log.WarnContext(ctx, "live: subscribe", "topic", src.Topic, "err", err)
				return
			}
			if last < 0 {
				// From now on: skip everything already stored.
				if last, err = src.Newest(ctx); err != nil {
					sub.Close()
					return
				}
			}
			goOn := replay(ctx, src, &last, send) && forward(ctx, src, sub, send)
			sub.Close()
			if !goOn {
				return
			}
		}
	}()
	return out
}

func replay[T any](ctx context.Context, src Source[T], last *int, send func(T) bool) bool {
	for {
		evs, err := src.Replay(ctx, *last, ReplayBatch)
		if err != nil {
			if ctx.Err() == nil {
				src.Log.WarnContext(ctx, "live: replay", "topic", src.Topic, "err", err)
			}
			return false
		}
		for _, e := range evs {
			if !send(e) {
				return false
			}
		}
		if len(evs) < ReplayBatch {
			return true
		}
	}
}

// forward sends bus messages until the subscription ends; it reports
// whether the stream should resync rather than stop.
func forward[T any](ctx context.Context, src Source[T], sub *pubsub.Subscription, send func(T) bool) bool {
	for m := range sub.C() {
		e, err := src.Decode(m.Payload)
		if err != nil {
			continue
		}
		if !send(e) {
			return false
		}
	}
	err := sub.Err()
	return ctx.Err() == nil && (errors.Is(err, pubsub.ErrLagged) || errors.Is(err, pubsub.ErrGap))
}

package orders

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/internal/pubsub"
)

// replayBatch bounds one read of missed events.
const replayBatch = 200

// Stream sends the events matching which, first the stored ones after
// `after` (after < 0: none, only what happens from now on), then live ones,
// each once and in order. It subscribes before it
// replays, so nothing falls between the two; when the bus drops it (the
// subscriber lagged, or the bus may have missed messages) it replays from
// the store and subscribes again. The goroutine ends with ctx, and it never
// holds up a publisher: a slow client only makes its own stream resync.
func (s *Service) Stream(ctx context.Context, bus pubsub.Bus, topic string, which predicate.OrderEvent, after int) <-chan *Event {
	out := make(chan *Event, 1)
	go func() {
		defer close(out)
		last := after
		send := func(e *Event) bool {
			if e.ID <= last {
				return true // already sent: replay and live overlap
			}
			select {
			case out <- e:
				last = e.ID
				return true
			case <-ctx.Done():
				return false
			}
		}
		for ctx.Err() == nil {
			sub, err := bus.Subscribe(ctx, topic)
			if err != nil {
				s.log.WarnContext(ctx, "order stream: subscribe", "err", err)
				return
			}
			if last < 0 { // from now: the newest stored event is the starting point
				if last, err = s.newest(ctx, which); err != nil {
					sub.Close()
					return
				}
			}
			if !s.replay(ctx, which, &last, send) || !live(ctx, sub, send) {
				sub.Close()
				return
			}
			sub.Close()
		}
	}()
	return out
}

// replay sends the stored events after *last.
func (s *Service) replay(ctx context.Context, which predicate.OrderEvent, last *int, send func(*Event) bool) bool {
	for {
		evs, err := s.client.OrderEvent.Query().Where(which, orderevent.IDGT(*last)).
			Order(ent.Asc(orderevent.FieldID)).Limit(replayBatch).All(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "order stream: replay", "err", err)
			}
			return false
		}
		for _, e := range evs {
			if !send(EventOf(e)) {
				return false
			}
		}
		if len(evs) < replayBatch {
			return true
		}
	}
}

// live forwards bus messages until the subscription ends. It reports
// whether the stream should go on (resync) rather than stop.
func live(ctx context.Context, sub *pubsub.Subscription, send func(*Event) bool) bool {
	for m := range sub.C() {
		var e Event
		if json.Unmarshal(m.Payload, &e) != nil {
			continue
		}
		if !send(&e) {
			return false
		}
	}
	err := sub.Err()
	return ctx.Err() == nil && (errors.Is(err, pubsub.ErrLagged) || errors.Is(err, pubsub.ErrGap))
}

// newest is the id of the newest stored event matching which (0 if none).
func (s *Service) newest(ctx context.Context, which predicate.OrderEvent) (int, error) {
	e, err := s.client.OrderEvent.Query().Where(which).Order(ent.Desc(orderevent.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return e.ID, nil
}

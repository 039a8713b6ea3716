package orders

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/internal/infra/live"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// Stream sends the order events matching which: the stored ones after
// `after` (after < 0: none), then live ones from topic (see internal/infra/live).
func (s *Service) Stream(ctx context.Context, bus pubsub.Bus, topic string, which predicate.OrderEvent, after int) <-chan *Event {
	return live.Stream(ctx, live.Source[*Event]{
		Bus: bus, Topic: topic, Log: s.log,
		Replay: func(ctx context.Context, w live.Window, limit int) ([]*Event, error) {
			evs, err := s.live.OrderEvent.Query().Where(which, inWindow(w)).
				Order(ent.Asc(orderevent.FieldID)).Limit(limit).All(ctx)
			out := make([]*Event, len(evs))
			for i, e := range evs {
				out[i] = EventOf(e)
			}
			return out, err
		},
		Newest: func(ctx context.Context) (int, time.Time, error) {
			e, err := s.live.OrderEvent.Query().Where(which).Order(ent.Desc(orderevent.FieldID)).First(ctx)
			if ent.IsNotFound(err) {
				return 0, time.Time{}, nil
			}
			if err != nil {
				return 0, time.Time{}, err
			}
			return e.ID, e.CreatedAt, nil
		},
		Decode: func(b []byte) (*Event, error) {
			var e Event
			return &e, json.Unmarshal(b, &e)
		},
		ID: func(e *Event) int { return e.ID },
		At: func(e *Event) time.Time { return e.At },
	}, after)
}

// inWindow selects the events of a replay window (see live.Window).
func inWindow(w live.Window) predicate.OrderEvent {
	p := orderevent.IDGT(w.AfterID)
	if !w.Since.IsZero() {
		p = orderevent.Or(p, orderevent.CreatedAtGTE(w.Since))
	}
	return orderevent.And(orderevent.IDGT(w.PageAfter), orderevent.IDLTE(w.UpTo), p)
}

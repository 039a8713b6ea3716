// Package live turns durable events into subscription streams: the stored
// events the client missed, then live ones from the bus, resyncing from the
// store whenever the bus drops the stream.
//
// Event ids grow, but on PostgreSQL transactions commit out of id order, so
// an event with a smaller id can become visible after a larger one was
// sent. Streams therefore never drop an event for having a smaller id than
// the last one sent: they remember what they sent, and every replay also
// re-reads a short window of recent events (Slack) to catch late commits.
// A client resuming with `after` gets the ids above it: an event still
// committing at the moment it disconnected is not re-sent, but the state
// it changed stays readable.
package live

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// Buffer is how many events a stream holds for its reader, so a reader
// that is busy (loading what an event refers to) can take them in a batch.
const Buffer = 64

// ReplayBatch bounds one read of missed events.
const ReplayBatch = 200

// Slack is how long a transaction may commit after its event's time and
// still be replayed.
const Slack = 10 * time.Second

// remembered bounds the ids a stream keeps to avoid sending one twice.
const remembered = 20_000

// Window selects the events to replay: ids above AfterID, and (when Since
// is set) any event at or after Since; only ids above PageAfter (paging)
// and at most UpTo (the newest when the replay began: later ones arrive on
// the bus, so a replay during a burst does not chase it), oldest id first.
type Window struct {
	PageAfter, AfterID, UpTo int
	Since                    time.Time
}

// Source describes one kind of event stream.
type Source[T any] struct {
	Bus   pubsub.Bus
	Topic string
	// Replay returns the stored events in w, at most limit.
	Replay func(ctx context.Context, w Window, limit int) ([]T, error)
	// Newest returns the id and time of the newest stored event (0 if none).
	Newest func(ctx context.Context) (int, time.Time, error)
	Decode func(payload []byte) (T, error)
	ID     func(T) int
	At     func(T) time.Time
	Log    *slog.Logger
}

// Stream sends src's events after `after` (after < 0: only those that
// happen from now on). It subscribes before it replays, so nothing falls
// between the two. The goroutine ends with ctx and never holds up a
// publisher: a slow client only makes its own stream resync.
func Stream[T any](ctx context.Context, src Source[T], after int) <-chan T {
	out := make(chan T, Buffer)
	go func() {
		defer close(out)
		st := &state{sent: map[int]struct{}{}}
		send := func(e T) bool {
			id := src.ID(e)
			if _, dup := st.sent[id]; dup {
				return true
			}
			select {
			case out <- e:
				st.remember(id, src.At(e))
				return true
			case <-ctx.Done():
				return false
			}
		}
		first := true
		for ctx.Err() == nil {
			sub, err := src.Bus.Subscribe(ctx, src.Topic)
			if err != nil {
				src.Log.WarnContext(ctx, "live: subscribe", "topic", src.Topic, "err", err)
				return
			}
			w, none, err := window(ctx, src, st, first, after)
			first = false
			if err != nil && ctx.Err() == nil {
				src.Log.WarnContext(ctx, "live: newest", "topic", src.Topic, "err", err)
			}
			goOn := err == nil && (none || replay(ctx, src, w, st.floor, send)) && forward(ctx, src, sub, send)
			sub.Close()
			if !goOn {
				return
			}
		}
	}()
	return out
}

// state is what a stream remembers of what it sent. Replays skip ids at or
// below floor (the client's `after`, or the newest event when it started):
// those the client has, or that predate it; one committing late still
// arrives on the bus.
type state struct {
	sent  map[int]struct{}
	order []int
	last  int
	at    time.Time
	floor int
}

func (s *state) remember(id int, at time.Time) {
	s.sent[id] = struct{}{}
	s.order = append(s.order, id)
	if len(s.order) > remembered {
		delete(s.sent, s.order[0])
		s.order = s.order[1:]
	}
	if id > s.last {
		s.last = id
	}
	if at.After(s.at) {
		s.at = at
	}
}

// window is what to replay: at the start, the ids above the client's (with
// after < 0 nothing: what commits after the subscription arrives on the
// bus, and the newest stored id is the floor); on a resync, after what was
// sent, with Slack for late commits.
func window[T any](ctx context.Context, src Source[T], s *state, first bool, after int) (w Window, none bool, err error) {
	if !first {
		w := Window{AfterID: s.last}
		if !s.at.IsZero() {
			w.Since = s.at.Add(-Slack)
		}
		return w, false, nil
	}
	if after >= 0 {
		s.last, s.floor = after, after
		return Window{AfterID: after}, false, nil
	}
	id, at, err := src.Newest(ctx)
	s.last, s.at, s.floor = id, at, id
	return Window{}, true, err
}

// replay sends the stored events in w up to the newest when it begins.
func replay[T any](ctx context.Context, src Source[T], w Window, floor int, send func(T) bool) bool {
	top, _, err := src.Newest(ctx)
	if err != nil {
		if ctx.Err() == nil {
			src.Log.WarnContext(ctx, "live: replay", "topic", src.Topic, "err", err)
		}
		return false
	}
	w.UpTo = top
	if w.UpTo <= w.AfterID && w.Since.IsZero() {
		return true // nothing stored since
	}
	for {
		evs, err := src.Replay(ctx, w, ReplayBatch)
		if err != nil {
			if ctx.Err() == nil {
				src.Log.WarnContext(ctx, "live: replay", "topic", src.Topic, "err", err)
			}
			return false
		}
		for _, e := range evs {
			if src.ID(e) > floor && !send(e) {
				return false
			}
			w.PageAfter = src.ID(e)
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

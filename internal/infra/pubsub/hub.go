package pubsub

import (
	"context"
	"sync"
	"sync/atomic"
)

// Subscription receives the messages of one topic until it ends.
type Subscription struct {
	h     *hub
	topic string
	ch    chan Message
	// lagged is set by the publish that found the buffer full, so that no
	// later message overtakes the dropped one before the subscription ends.
	lagged atomic.Bool

	// Guarded by h.mu.
	ended bool
	err   error
	stop  func() bool // unregisters the ctx.Done hook
}

// C returns the channel of messages; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Message { return s.ch }

// Err tells why the subscription ended (ErrLagged, ErrGap, ErrClosed or the
// subscribe context's error), or nil while it is live.
func (s *Subscription) Err() error {
	s.h.mu.RLock()
	defer s.h.mu.RUnlock()
	return s.err
}

// Close ends the subscription with ErrClosed. It is idempotent.
func (s *Subscription) Close() { s.h.end(s, ErrClosed) }

// hub is the fan-out core shared by both buses: topic → subscribers, each
// with a bounded channel. Publishing holds only the read lock and never
// blocks; subscribing and ending take the write lock, which also orders every
// close(ch) after the sends that could race with it.
type hub struct {
	buf int

	mu     sync.RWMutex
	topics map[string]map[*Subscription]struct{}
	n      int
	closed bool
}

func newHub(buf int) *hub {
	return &hub{buf: buf, topics: make(map[string]map[*Subscription]struct{})}
}

func (h *hub) subscribe(ctx context.Context, topic string) (*Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Subscription{h: h, topic: topic, ch: make(chan Message, h.buf)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	subs := h.topics[topic]
	if subs == nil {
		subs = make(map[*Subscription]struct{})
		h.topics[topic] = subs
	}
	subs[s] = struct{}{}
	h.n++
	h.mu.Unlock()

	// No goroutine per subscription: the context calls us back when done.
	stop := context.AfterFunc(ctx, func() { h.end(s, ctx.Err()) })
	h.mu.Lock()
	ended := s.ended
	if !ended {
		s.stop = stop
	}
	h.mu.Unlock()
	if ended { // ended before the hook was stored: release it here
		stop()
	}
	return s, nil
}

// publish sends m to every subscriber of its topic without blocking; those
// whose buffer is full are ended with ErrLagged.
func (h *hub) publish(topic string, payload []byte) error {
	m := Message{Topic: topic, Payload: payload}
	var lagged []*Subscription
	h.mu.RLock()
	if h.closed {
		h.mu.RUnlock()
		return ErrClosed
	}
	for s := range h.topics[topic] {
		if s.lagged.Load() {
			continue
		}
		select {
		case s.ch <- m:
		default:
			if s.lagged.CompareAndSwap(false, true) {
				lagged = append(lagged, s)
			}
		}
	}
	h.mu.RUnlock()
	for _, s := range lagged {
		h.end(s, ErrLagged)
	}
	return nil
}

// end removes s and closes its channel; the first reason wins.
func (h *hub) end(s *Subscription, err error) {
	h.mu.Lock()
	if s.ended {
		h.mu.Unlock()
		return
	}
	subs := h.topics[s.topic]
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.topics, s.topic)
	}
	h.n--
	stop := h.finish(s, err)
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// endAll ends every subscription with err; with closing, the hub also
// refuses new subscriptions and publishes.
func (h *hub) endAll(err error, closing bool) {
	var stops []func() bool
	h.mu.Lock()
	for _, subs := range h.topics {
		for s := range subs {
			if stop := h.finish(s, err); stop != nil {
				stops = append(stops, stop)
			}
		}
	}
	clear(h.topics)
	h.n = 0
	if closing {
		h.closed = true
	}
	h.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// finish marks s ended; h.mu must be held for writing.
func (h *hub) finish(s *Subscription, err error) (stop func() bool) {
	s.ended, s.err = true, err
	close(s.ch)
	stop, s.stop = s.stop, nil
	return stop
}

func (h *hub) count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.n
}

// Package pubsub carries live events (ids and states, never personal data)
// to the subscribers of a topic on every server instance. NewLocal serves a
// single process; NewPostgres reaches every instance that shares one
// PostgreSQL through LISTEN/NOTIFY.
//
// Delivery is best effort and never blocks a publisher: a subscriber that
// falls behind, or that may have missed messages, is ended with ErrLagged or
// ErrGap and must resync from the durable store before subscribing again.
package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"
)

// Message is one event on a topic. Payloads are small JSON documents of ids
// and states (never personal data), at most MaxPayload bytes. A Payload is
// shared by every subscriber: do not modify it.
type Message struct {
	Topic   string
	Payload []byte
}

// Bus delivers messages to the subscribers of a topic on every instance.
type Bus interface {
	// Publish never blocks on a slow subscriber. Call it only after the
	// database transaction that produced the event has committed.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe returns a subscription that ends when ctx is done, the bus
	// closes, or the subscriber falls behind.
	Subscribe(ctx context.Context, topic string) (*Subscription, error)
	Close() error
}

var (
	// ErrLagged ends a subscription whose buffer was full: it must resync
	// from the durable store and subscribe again.
	ErrLagged = errors.New("pubsub: subscriber fell behind")
	// ErrGap ends a subscription that may have missed messages (e.g. the
	// PostgreSQL connection was re-established): resync.
	ErrGap = errors.New("pubsub: messages may have been missed")
	// ErrClosed is returned by a closed bus, and ends the subscriptions that
	// the bus or the subscriber closed.
	ErrClosed = errors.New("pubsub: closed")
	// ErrTooLarge refuses a payload over MaxPayload or a topic over MaxTopic.
	ErrTooLarge = errors.New("pubsub: payload or topic too large")
)

const (
	// MaxPayload keeps the PostgreSQL envelope under NOTIFY's 8000-byte limit.
	MaxPayload = 7000
	// MaxTopic bounds the topic, which travels in the same envelope.
	MaxTopic = 256

	// DefaultChannel is the one PostgreSQL channel that carries every topic.
	DefaultChannel = "tongxue_events"
)

// Options tune a bus. The zero value is usable.
type Options struct {
	// Buffer is each subscriber's channel capacity (default 64). A subscriber
	// more than Buffer messages behind is ended with ErrLagged.
	Buffer int

	// The rest apply to NewPostgres only.

	// Channel is the NOTIFY channel (default DefaultChannel). Instances that
	// share events must use the same one; tests use their own.
	Channel string
	// PingInterval is how often the listener's connection is checked, so a
	// silently dead one is noticed and replaced (default 30s).
	PingInterval time.Duration
	// MinReconnect and MaxReconnect bound the listener's back-off between
	// connection attempts (default 500ms and 10s). Close may wait up to
	// MaxReconnect for a listener that is between attempts.
	MinReconnect, MaxReconnect time.Duration
	// Logger receives connection events (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.MinReconnect <= 0 {
		o.MinReconnect = 500 * time.Millisecond
	}
	if o.MaxReconnect <= 0 {
		o.MaxReconnect = 10 * time.Second
	}
	o.MaxReconnect = max(o.MaxReconnect, o.MinReconnect)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// validate applies PostgreSQL's constraints to both buses, so that what
// works locally also works in production.
func validate(topic string, payload []byte) error {
	switch {
	case len(payload) > MaxPayload:
		return fmt.Errorf("%w: payload of %d bytes (max %d)", ErrTooLarge, len(payload), MaxPayload)
	case len(topic) > MaxTopic:
		return fmt.Errorf("%w: topic of %d bytes (max %d)", ErrTooLarge, len(topic), MaxTopic)
	case topic == "" || !utf8.ValidString(topic):
		return errors.New("pubsub: topic must be non-empty UTF-8")
	case !utf8.Valid(payload) || !json.Valid(payload):
		return errors.New("pubsub: payload must be a UTF-8 JSON document")
	}
	return nil
}

package pubsub

import (
	"bytes"
	"context"
)

// localBus serves one process: Publish feeds the fan-out core directly.
type localBus struct{ h *hub }

// NewLocal returns an in-process bus, for a single instance (SQLite, tests).
func NewLocal(opts Options) Bus {
	return &localBus{h: newHub(opts.withDefaults().Buffer)}
}

func (b *localBus) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := validate(topic, payload); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// One copy shared by all subscribers, so the caller may reuse its buffer.
	return b.h.publish(topic, bytes.Clone(payload))
}

func (b *localBus) Subscribe(ctx context.Context, topic string) (*Subscription, error) {
	return b.h.subscribe(ctx, topic)
}

func (b *localBus) Close() error {
	b.h.endAll(ErrClosed, true)
	return nil
}

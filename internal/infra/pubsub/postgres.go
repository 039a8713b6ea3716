package pubsub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// pgBus carries every topic over one NOTIFY channel, so each instance needs a
// single LISTEN connection however many topics its subscribers follow. Its
// own messages reach its subscribers only through that round trip, never
// directly, so each is delivered exactly once.
type pgBus struct {
	h       *hub
	db      *sql.DB
	channel string
	l       *pq.Listener
	log     *slog.Logger

	closed atomic.Bool
	done   chan struct{} // stops the pinger
	wg     sync.WaitGroup
	failed chan error // first failed connection attempt, read by NewPostgres
}

// envelope is the NOTIFY payload; Payload is the publisher's JSON verbatim.
type envelope struct {
	Topic   string          `json:"topic"`
	Payload json.RawMessage `json:"payload"`
}

// NewPostgres returns a bus shared by every instance on the database: Publish
// runs pg_notify on db, and a dedicated listener connection opened with dsn
// feeds this instance's subscribers. ctx bounds the start only: NewPostgres
// fails if the listener's first connection attempt fails or ctx ends before
// it is listening. Later connection losses are repaired by the listener and
// reported to subscribers as ErrGap.
func NewPostgres(ctx context.Context, dsn string, db *sql.DB, opts Options) (Bus, error) {
	opts = opts.withDefaults()
	if db == nil {
		return nil, errors.New("pubsub: nil *sql.DB")
	}
	if len(opts.Channel) > 63 { // NAMEDATALEN-1: LISTEN would truncate it silently
		return nil, fmt.Errorf("pubsub: channel name %q longer than 63 bytes", opts.Channel)
	}
	b := &pgBus{
		h:       newHub(opts.Buffer),
		db:      db,
		channel: opts.Channel,
		log:     opts.Logger,
		done:    make(chan struct{}),
		failed:  make(chan error, 1),
	}
	b.l = pq.NewListener(dsn, opts.MinReconnect, opts.MaxReconnect, b.event)

	// Listen retries forever; a misconfigured DSN should fail startup instead.
	listened := make(chan error, 1)
	go func() { listened <- b.l.Listen(b.channel) }()
	var err error
	select {
	case err = <-listened:
	case err = <-b.failed:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = b.l.Close() // unblocks Listen
		go func() {
			for range b.l.Notify { // lets the listener's goroutine finish
			}
		}()
		return nil, fmt.Errorf("pubsub: listen on %q: %w", b.channel, err)
	}

	b.wg.Go(b.read)
	b.wg.Go(func() { b.ping(opts.PingInterval) })
	return b, nil
}

func (b *pgBus) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := validate(topic, payload); err != nil {
		return err
	}
	if b.closed.Load() {
		return ErrClosed
	}
	t, err := json.Marshal(topic)
	if err != nil {
		return err
	}
	// Built by hand: json.Marshal would rewrite a RawMessage (compact, escape).
	env := make([]byte, 0, len(t)+len(payload)+32)
	env = append(env, `{"topic":`...)
	env = append(env, t...)
	env = append(env, `,"payload":`...)
	env = append(env, payload...)
	env = append(env, '}')
	if len(env) >= 8000 {
		return fmt.Errorf("%w: NOTIFY payload of %d bytes", ErrTooLarge, len(env))
	}
	if _, err := b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, b.channel, string(env)); err != nil {
		return fmt.Errorf("pubsub: publish: %w", err)
	}
	return nil
}

func (b *pgBus) Subscribe(ctx context.Context, topic string) (*Subscription, error) {
	return b.h.subscribe(ctx, topic)
}

// Close ends every subscription with ErrClosed and stops the listener and
// the bus's goroutines.
func (b *pgBus) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	b.h.endAll(ErrClosed, true)
	close(b.done)
	err := b.l.Close() // the listener then closes Notify, which ends read
	b.wg.Wait()
	return err
}

// read is the only consumer of the listener: it must keep draining Notify
// (the listener blocks on it), which the non-blocking fan-out guarantees.
func (b *pgBus) read() {
	for n := range b.l.Notify {
		if n == nil {
			// The listener reconnected: whatever was published while it was
			// away is lost, so every current subscriber must resync.
			b.log.Warn("pubsub: listener reconnected; ending subscriptions with ErrGap", "channel", b.channel)
			b.h.endAll(ErrGap, false)
			continue
		}
		var e envelope
		if err := json.Unmarshal([]byte(n.Extra), &e); err != nil || e.Topic == "" {
			b.log.Warn("pubsub: dropping undecodable notification", "channel", n.Channel, "err", err)
			continue
		}
		_ = b.h.publish(e.Topic, e.Payload) // ErrClosed only while closing
	}
}

// ping runs apart from read because Listener.Ping waits for a reply that the
// listener can only deliver while read drains Notify.
func (b *pgBus) ping(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			// A failed ping on a dead connection makes the listener replace it.
			if err := b.l.Ping(); err != nil && !b.closed.Load() {
				b.log.Warn("pubsub: listener ping failed", "channel", b.channel, "err", err)
			}
		}
	}
}

// event runs on the listener's goroutine: it must not block.
func (b *pgBus) event(ev pq.ListenerEventType, err error) {
	switch ev {
	case pq.ListenerEventConnectionAttemptFailed:
		select {
		case b.failed <- err:
		default:
		}
		b.log.Warn("pubsub: listener connection attempt failed", "channel", b.channel, "err", err)
	case pq.ListenerEventDisconnected:
		b.log.Warn("pubsub: listener disconnected", "channel", b.channel, "err", err)
	}
}

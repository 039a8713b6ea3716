// Package orders places orders and moves them through their states (S3),
// takes payment through the provider (S5), shares what each party needs
// (S6, D1) and publishes every status change after it commits.
package orders

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/payment"
)

// Publisher sends live events (internal/infra/pubsub.Bus).
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// StudentChecker tells whether a user is a verified student (S4).
type StudentChecker interface {
	IsVerified(ctx context.Context, userID int) (bool, error)
}

// Config are the order rules that deployments may tune.
type Config struct {
	PaymentWindow time.Duration // unpaid orders are cancelled after this
	NotifyBaseURL string        // public base URL of the payment callbacks
}

// Service is the order domain.
type Service struct {
	client   *ent.Client
	live     *ent.Client // streams' reads (see store.DB.Live)
	ring     *vault.Keyring
	bus      Publisher
	provider payment.Provider
	students StudentChecker
	priv     *privacy.Service // the buyer's consents at hand-overs
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
}

// Deps are what the service is built from.
type Deps struct {
	DB       *store.DB // requests use DB.Client, streams DB.Live
	Ring     *vault.Keyring
	Bus      Publisher
	Payment  payment.Provider
	Students StudentChecker
	Privacy  *privacy.Service
	Config   Config
	Now      func() time.Time
	Log      *slog.Logger
}

// New wires the service.
func New(d Deps) *Service {
	cfg := d.Config
	if cfg.PaymentWindow == 0 {
		cfg.PaymentWindow = 15 * time.Minute
	}
	return &Service{client: d.DB.Client, live: d.DB.Live, ring: d.Ring, bus: d.Bus, provider: d.Payment,
		students: d.Students, priv: d.Privacy, cfg: cfg, now: d.Now, log: d.Log}
}

// Provider is the payment provider in use.
func (s *Service) Provider() payment.Provider { return s.provider }

// Event is what subscribers receive about a status change: ids and states,
// never personal data (it crosses PostgreSQL NOTIFY and goes to merchants).
type Event struct {
	ID         int       `json:"id"`
	OrderID    int       `json:"order"`
	UserID     int       `json:"user"`
	MerchantID int       `json:"merchant"`
	Status     string    `json:"status"`
	Previous   string    `json:"previous"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
}

// EventOf converts a stored event.
func EventOf(e *ent.OrderEvent) *Event {
	return &Event{ID: e.ID, OrderID: e.OrderID, UserID: e.UserID, MerchantID: e.MerchantID,
		Status: e.Status, Previous: e.PreviousStatus, Actor: string(e.Actor), At: e.CreatedAt}
}

// Topics an event is published on.
func OrderTopic(orderID int) string       { return "order:" + strconv.Itoa(orderID) }
func BuyerTopic(userID int) string        { return "buyer:" + strconv.Itoa(userID) }
func MerchantTopic(merchantID int) string { return "merchant:" + strconv.Itoa(merchantID) }

// write runs fn in a transaction and publishes the events it stored once the
// transaction has committed: a subscriber never hears of a change that
// could still roll back.
func (s *Service) write(ctx context.Context, fn func(tx *ent.Tx) ([]*ent.OrderEvent, error)) error {
	var events []*ent.OrderEvent
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		events, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	for _, e := range events {
		s.publish(ctx, EventOf(e))
	}
	return nil
}

func (s *Service) publish(ctx context.Context, e *Event) {
	payload, err := json.Marshal(e)
	if err != nil {
		s.log.ErrorContext(ctx, "order event", "err", err)
		return
	}
	// A lost publish is not a lost event: it is stored, and subscribers
	// replay from the store when they resubscribe.
	ctx = context.WithoutCancel(ctx)
	for _, topic := range []string{OrderTopic(e.OrderID), BuyerTopic(e.UserID), MerchantTopic(e.MerchantID)} {
		if err := s.bus.Publish(ctx, topic, payload); err != nil {
			s.log.WarnContext(ctx, "publish order event", "topic", topic, "err", err)
		}
	}
}

// newOrderNo is "TX" + the China date + 8 random characters. The dash keeps
// digit runs short, so log redaction never mistakes it for a card number.
func newOrderNo(now time.Time) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return fmt.Sprintf("TX%s-%s", now.In(chinatime.Zone).Format("20060102"), b)
}

// Package privacy enforces the privacy policy inside the graph: the
// versioned policy and its update gate (P1), consent per purpose with history
// (P2, P5), device permissions (P3), the @consent (P4) and @mask (Y2)
// directives with the audit trail of reveals, and key rotation (Y1).
package privacy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tongxue/tongxue/ent"
)

// Service holds the privacy rules.
type Service struct {
	client *ent.Client
	now    func() time.Time
	log    *slog.Logger

	mu  sync.Mutex
	req requiredCache

	withdrawals withdrawHooks // what a withdrawal erases (consent.go)
}

// New returns the service; now is time.Now outside tests.
func New(client *ent.Client, now func() time.Time, log *slog.Logger) *Service {
	return &Service{client: client, now: now, log: log}
}

// Owned is implemented by objects that belong to a user; @mask reveals and
// @consent(of: OWNER) ask it whose data a field shows.
type Owned interface{ OwnerID() int }

// Processor is implemented by objects whose data another party processes
// for the owner, such as the merchant and the courier of an order: it names
// the fields that party may reveal, and why (the reason goes to the audit).
type Processor interface {
	MayReveal(viewerID int, field string) (reason string, ok bool)
}

// cache holds what one request has already read (consents, device
// permissions), so a query touching many guarded fields reads each once.
// Every request starts empty: a withdrawal counts from the next request.
type cache struct {
	mu          sync.Mutex
	consents    map[int]*once[map[string]bool]
	owners      []int // whose consents a page may ask (RegisterOwners)
	permissions map[int]*once[*ent.DevicePermission]
	version     once[string] // the policy version in force
}

// once loads a value a single time even when many resolvers of one request
// (gqlgen resolves list items in parallel) ask at the same moment.
type once[T any] struct {
	sync.Once
	val   T
	err   error
	batch *consentBatch // consents: the read this entry shares
}

// load returns the entry for key, creating it.
func load[T any](c *cache, m map[int]*once[T], key int, fetch func() (T, error)) (T, error) {
	c.mu.Lock()
	e := m[key]
	if e == nil {
		e = &once[T]{}
		m[key] = e
	}
	c.mu.Unlock()
	e.Do(func() { e.val, e.err = fetch() })
	return e.val, e.err
}

// forget drops key so the next read fetches afresh.
func forget[T any](c *cache, m map[int]*once[T], key int) {
	c.mu.Lock()
	delete(m, key)
	c.mu.Unlock()
}

type cacheKey struct{}

// WithRequestCache starts the per-request cache.
func WithRequestCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &cache{
		consents:    map[int]*once[map[string]bool]{},
		permissions: map[int]*once[*ent.DevicePermission]{},
	})
}

func cacheFrom(ctx context.Context) *cache {
	c, _ := ctx.Value(cacheKey{}).(*cache)
	return c
}

// Package throttle limits how fast each client may use the graph: a token
// bucket per client IP for anonymous clients, per session for logged-in
// ones, and per user for expensive mutations. Buckets live in memory, so the
// check costs no database round trip; on PostgreSQL every instance
// periodically shares what it consumed with the others (pg.go), so a client
// spreading its requests over instances is held to about one budget.
//
// A bucket is kept as its theoretical arrival time (GCRA): tat is the
// instant the bucket is full again. It holds Burst - (tat-now)/Every tokens
// (Burst when tat <= now); taking c tokens moves tat to max(tat, now) +
// c·Every and is refused when that would leave fewer than zero. One number
// per key makes merging what other instances consumed a max and an add, and
// a full bucket is the same as no bucket, so idle keys are simply forgotten.
package throttle

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Rule is a token bucket: Burst tokens when full, one more every Every.
type Rule struct {
	// ID is part of the bucket's key, here and in the table instances share:
	// keep it stable. Rules with the same ID share one bucket per subject.
	ID    byte
	Name  string
	Burst int
	Every time.Duration
}

// limited reports whether the rule limits anything (Burst 0: no limit).
func (r Rule) limited() bool { return r.Burst > 0 && r.Every > 0 }

// Budgets are the rules a Limiter enforces. Each operation costs one token
// per root field (at least one) from its client's general bucket
// (Anonymous or Session), and one token per expensive root field from that
// field's bucket of the user.
type Budgets struct {
	Anonymous Rule            // per client IP, operations without a session
	Session   Rule            // per session, operations of a logged-in client
	Expensive map[string]Rule // root mutation fields with a budget of their own, per user
}

// The default budgets.
var (
	// Anonymous clients, per IP: 600 at once, then 50 per second. A campus
	// puts thousands of students behind a few NAT addresses, so this is
	// shared by everyone not logged in on one address and must stay well
	// above what the app's anonymous screens ask for (the home page, the
	// catalogue, a product: a handful of requests a view, by hundreds of
	// browsing students at once). It still holds a scraper on one address
	// to 50 requests a second, a few percent of one instance.
	AnonymousPerIP = Rule{ID: 1, Name: "anonymous", Burst: 600, Every: 20 * time.Millisecond}
	// Logged-in clients, per session: 300 at once, then 10 per second. A
	// session costs an SMS code (limited per phone and per IP in auth), so it
	// is one real client: the app opening with a dozen queries in parallel,
	// then scrolling feeds, stays far below; a script using a session is
	// held to 10 operations a second.
	SessionRule = Rule{ID: 2, Name: "session", Burst: 300, Every: 100 * time.Millisecond}
	// Identity checks with partners, per user: 5 at once, then one every 12
	// minutes (5 an hour). Each uploads ID photos and calls an outside
	// service that is slow, billed per call and limits us in turn; a user
	// correcting a typo retries a few times, nobody needs more.
	PartnerRule = Rule{ID: 3, Name: "partner", Burst: 5, Every: 12 * time.Minute}
	// Orders and payments, per user: 10 at once, then one every 6 seconds
	// (10 a minute). placeOrder takes stock in a transaction and payOrder
	// and requestRefund call the payment provider.
	OrderRule = Rule{ID: 4, Name: "order", Burst: 10, Every: 6 * time.Second}
	// Posts with pictures, per user: 10 at once, then one every 2 minutes
	// (30 an hour). Every picture (up to 9 a post) is decoded and
	// re-encoded to strip its metadata, which costs a core tens of
	// milliseconds each.
	MediaRule = Rule{ID: 5, Name: "media", Burst: 10, Every: 2 * time.Minute}
)

// DefaultBudgets are the production budgets. requestLoginCode and login
// are not here: auth limits them per phone and per IP in the database.
func DefaultBudgets() Budgets {
	return Budgets{
		Anonymous: AnonymousPerIP,
		Session:   SessionRule,
		Expensive: map[string]Rule{
			"submitStudentVerification": PartnerRule,
			"applyBankAccount":          PartnerRule,
			"placeOrder":                OrderRule,
			"payOrder":                  OrderRule,
			"requestRefund":             OrderRule,
			"createPost":                MediaRule,
			"postErrand":                MediaRule,
		},
	}
}

// Generous are budgets no test client reaches (tests send thousands of
// requests from 127.0.0.1) that still run every check.
func Generous() Budgets {
	r := func(id byte) Rule { return Rule{ID: id, Name: "generous", Burst: 1 << 30, Every: time.Nanosecond} }
	b := DefaultBudgets()
	b.Anonymous, b.Session = r(AnonymousPerIP.ID), r(SessionRule.ID)
	for f, rule := range b.Expensive {
		b.Expensive[f] = r(rule.ID)
	}
	return b
}

// Defaults of Config.
const (
	DefaultMaxKeys   = 200_000 // about 20 MB of buckets at most
	DefaultSyncEvery = 500 * time.Millisecond
	sweepEvery       = 10 * time.Second
	pruneEvery       = time.Minute
	nShards          = 64
	evictSample      = 8
)

// Config builds a Limiter.
type Config struct {
	Budgets Budgets
	// Index hashes IPs, sessions and users into bucket keys: no raw IP is
	// kept, in memory or in the database.
	Index *vault.Index
	Now   func() time.Time // time.Now outside tests
	Log   *slog.Logger
	// DB, on PostgreSQL, is where instances share consumption; on SQLite
	// (one instance) or nil the buckets stay in this process.
	DB *store.DB
	// MaxKeys bounds the buckets held (0: DefaultMaxKeys). Past it, a new
	// key evicts the fullest of a few sampled buckets.
	MaxKeys int
	// SyncEvery is how often Run shares consumption (0: DefaultSyncEvery).
	SyncEvery time.Duration
}

// Key names one bucket: its rule's ID and 16 bytes of a keyed hash of the
// subject.
type Key [17]byte

type bucket struct {
	tat  int64 // unix ns at which the bucket is full again
	pend int64 // ns of tat consumed here and not yet shared (PostgreSQL)
}

type shard struct {
	mu    sync.Mutex
	m     map[Key]bucket
	dirty []Key // keys whose pend went above 0 since the last sync
}

// Limiter holds the buckets. It is safe for concurrent use.
type Limiter struct {
	budgets   Budgets
	now       func() time.Time
	log       *slog.Logger
	macs      sync.Pool // HMAC-SHA256 under the throttle secret
	shardCap  int
	shards    [nShards]shard
	syncEvery time.Duration
	pg        *pgSync // nil without PostgreSQL
}

// New builds a limiter; Run keeps it tidy (and shares it on PostgreSQL).
func New(cfg Config) *Limiter {
	l := &Limiter{
		budgets:   cfg.Budgets,
		now:       cfg.Now,
		log:       cmp.Or(cfg.Log, slog.Default()),
		shardCap:  max(cmp.Or(cfg.MaxKeys, DefaultMaxKeys)/nShards, 1),
		syncEvery: cmp.Or(cfg.SyncEvery, DefaultSyncEvery),
	}
	if cfg.Now == nil {
		l.now = time.Now
	}
	secret := cfg.Index.Secret("throttle")
	l.macs.New = func() any { return hmac.New(sha256.New, secret) }
	for i := range l.shards {
		l.shards[i].m = make(map[Key]bucket)
	}
	if cfg.DB != nil && cfg.DB.Dialect == dialect.Postgres {
		l.pg = newPGSync(cfg.DB.SQL)
	}
	return l
}

// Client is who an operation is charged to.
type Client struct {
	IP        string // anonymous clients: per IP (hashed)
	SessionID int    // logged-in clients: per session; 0 is anonymous
	UserID    int    // expensive mutations: per user
}

// Operation is what an operation costs: its root fields, and the names of
// the root fields of a mutation (nil for queries and subscriptions).
type Operation struct {
	RootFields int
	Mutations  []string
}

// Subjects hashed into keys; the NUL keeps domains apart from values.
var (
	domainIP      = []byte("ip\x00")
	domainSession = []byte("session\x00")
	domainUser    = []byte("user\x00")
)

// Admit charges op to c before it runs: the general bucket first (a refused
// expensive mutation still counts as a request), then every expensive
// bucket the operation's fields use, all or none of them. It returns
// RATE_LIMITED with the seconds to wait when a bucket is short.
func (l *Limiter) Admit(c Client, op Operation) error {
	now := l.now().UnixNano()
	var k Key
	var rule Rule
	if c.SessionID != 0 {
		rule = l.budgets.Session
		k = l.intKey(rule, domainSession, c.SessionID)
	} else {
		rule = l.budgets.Anonymous
		k = l.ipKey(rule, c.IP)
	}
	if rule.limited() {
		if wait, ok := l.take(k, rule, max(op.RootFields, 1), now); !ok {
			return refusal(wait)
		}
	}
	if c.UserID == 0 || len(op.Mutations) == 0 || len(l.budgets.Expensive) == 0 {
		return nil
	}
	return l.admitExpensive(c.UserID, op.Mutations, now)
}

// admitExpensive checks every expensive bucket the fields use, then takes
// from them: an operation with placeOrder and applyBankAccount runs both
// or neither.
func (l *Limiter) admitExpensive(userID int, fields []string, now int64) error {
	type charge struct {
		rule Rule
		key  Key
		cost int
	}
	var buf [4]charge
	charges := buf[:0]
next:
	for _, f := range fields {
		rule, ok := l.budgets.Expensive[f]
		if !ok || !rule.limited() {
			continue
		}
		for i := range charges {
			if charges[i].rule.ID == rule.ID {
				charges[i].cost++
				continue next
			}
		}
		charges = append(charges, charge{rule: rule, key: l.intKey(rule, domainUser, userID), cost: 1})
	}
	var wait int64
	for _, c := range charges {
		wait = max(wait, l.shortBy(c.key, c.rule, c.cost, now))
	}
	if wait > 0 {
		return refusal(wait)
	}
	for _, c := range charges {
		if w, ok := l.take(c.key, c.rule, c.cost, now); !ok { // lost a race
			return refusal(w)
		}
	}
	return nil
}

// refusal is RATE_LIMITED with whole seconds to wait (at least one).
func refusal(waitNS int64) error {
	return apperr.RateLimited(max(int(math.Ceil(float64(waitNS)/float64(time.Second))), 1))
}

// take takes cost tokens from k's bucket, or reports how long (ns) until
// it holds them.
func (l *Limiter) take(k Key, rule Rule, cost int, now int64) (wait int64, ok bool) {
	s := &l.shards[k[1]%nShards]
	inc := int64(cost) * int64(rule.Every)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, found := s.m[k]
	next := max(b.tat, now) + inc
	if over := next - now - int64(rule.Burst)*int64(rule.Every); over > 0 {
		return over, false
	}
	if !found {
		l.makeRoom(s, now)
	}
	b.tat = next
	if l.pg != nil {
		if b.pend == 0 {
			s.markDirty(k, l.shardCap)
		}
		b.pend += inc
	}
	s.m[k] = b
	return 0, true
}

// markDirty notes that k has consumption to share. Keys evicted before the
// next sync stay listed: past twice the shard's cap (syncs failing, or not
// running) the list is rebuilt from the buckets. Called with s.mu held.
func (s *shard) markDirty(k Key, capacity int) {
	if len(s.dirty) >= 2*capacity {
		s.dirty = s.dirty[:0]
		for k, b := range s.m {
			if b.pend > 0 {
				s.dirty = append(s.dirty, k)
			}
		}
	}
	s.dirty = append(s.dirty, k)
}

// shortBy is how long (ns) until k's bucket holds cost tokens; 0 if it does.
func (l *Limiter) shortBy(k Key, rule Rule, cost int, now int64) int64 {
	s := &l.shards[k[1]%nShards]
	s.mu.Lock()
	b := s.m[k]
	s.mu.Unlock()
	return max(max(b.tat, now)+int64(cost)*int64(rule.Every)-now-int64(rule.Burst)*int64(rule.Every), 0)
}

// makeRoom evicts, when the shard is at its cap, the fullest (lowest tat)
// of a few buckets sampled at random (map order), preferring those with
// nothing left to share. Keys rotated by an attacker are thus bounded, and
// the buckets most likely to go are idle ones: forgetting one gives its
// client at most a fresh bucket. Called with s.mu held.
func (l *Limiter) makeRoom(s *shard, now int64) {
	if len(s.m) < l.shardCap {
		return
	}
	var victim Key
	best, n := int64(math.MaxInt64), 0
	for k, b := range s.m {
		score := b.tat
		if b.pend > 0 {
			score = math.MaxInt64 - 1 // keep what other instances must still hear of
		}
		if score < best {
			victim, best = k, score
		}
		if n++; n == evictSample || b.tat <= now && b.pend == 0 {
			break
		}
	}
	delete(s.m, victim)
}

// Sweep forgets full buckets: a full bucket is the same as none.
func (l *Limiter) Sweep() int {
	now := l.now().UnixNano()
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, b := range s.m {
			if b.tat <= now && b.pend == 0 {
				delete(s.m, k)
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// Len is the number of buckets held.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Run sweeps full buckets and, on PostgreSQL, shares consumption with the
// other instances every SyncEvery and deletes stale shared rows, until ctx
// ends. It is the limiter's only goroutine.
func (l *Limiter) Run(ctx context.Context) {
	t := time.NewTicker(min(l.syncEvery, sweepEvery))
	defer t.Stop()
	lastSweep, lastPrune := time.Now(), time.Time{}
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.pg != nil {
			err := l.Sync(ctx)
			if ctx.Err() != nil {
				return
			}
			switch {
			case err != nil && !failing: // once per outage: buckets stay local meanwhile
				l.log.WarnContext(ctx, "throttle: sharing budgets with other instances failed", "err", err)
				failing = true
			case err == nil && failing:
				l.log.InfoContext(ctx, "throttle: sharing budgets again")
				failing = false
			}
			if err == nil && time.Since(lastPrune) >= pruneEvery {
				if err := l.pg.prune(ctx, l.now().UnixNano()); err != nil && ctx.Err() == nil {
					l.log.WarnContext(ctx, "throttle: delete stale rows", "err", err)
				}
				lastPrune = time.Now()
			}
		}
		if time.Since(lastSweep) >= sweepEvery {
			l.Sweep()
			lastSweep = time.Now()
		}
	}
}

// ipKey hashes a client address under rule. IPv6 addresses count by their
// /64: one subscriber gets a whole /64 and could otherwise rotate through
// it. An address that does not parse is hashed as it is.
func (l *Limiter) ipKey(rule Rule, ip string) Key {
	var buf [64]byte
	msg := append(buf[:0], domainIP...)
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		b := a.As16()
		msg = append(append(msg, b[:8]...), "/64"...)
	} else {
		msg = append(msg, ip...)
	}
	return l.sum(rule, msg)
}

// intKey hashes a numeric subject (a session or user id) under rule.
func (l *Limiter) intKey(rule Rule, domain []byte, id int) Key {
	var buf [32]byte
	return l.sum(rule, strconv.AppendInt(append(buf[:0], domain...), int64(id), 10))
}

func (l *Limiter) sum(rule Rule, msg []byte) Key {
	h := l.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	l.macs.Put(h)
	var k Key
	k[0] = rule.ID
	copy(k[1:], out[:])
	return k
}

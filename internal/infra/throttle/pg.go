package throttle

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Sharing between instances on PostgreSQL.
//
// Every SyncEvery, Run sends in one statement, for every key this instance
// took tokens from since the last sync, its bucket (tat) and what it took
// (inc, in ns of tat). The shared row becomes max(row.tat + inc, tat): the
// other instances' consumption plus ours, and never less than what we know.
// The same statement returns the merged rows, and the rows other instances
// wrote since the last sync whose buckets are not full; each instance then
// moves its buckets to max(local, shared + what it took since). Merging by
// max is idempotent, so rows are read again with a margin rather than
// risk missing one committed late.
//
// Slack: a client can exceed its budget by what the instances it uses
// admit between two syncs before they hear of each other, at most about
// rate × SyncEvery per instance once its buckets are known, and one burst
// per instance for a client new to all of them within one sync interval.
// What passes beyond is owed: buckets go below zero and refuse until
// repaid, so over time the client gets the rate of one budget.
//
// The table is UNLOGGED: losing it in a crash forgets who was owing
// tokens, nothing more, and its writes skip the WAL. Rows hold keyed
// hashes only. It is created here, not by ent: it belongs to no entity.
const (
	tableDDL = `CREATE UNLOGGED TABLE IF NOT EXISTS throttle_buckets (
	key        bytea PRIMARY KEY,
	tat        bigint NOT NULL,
	inc        bigint NOT NULL,
	writer     text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now())`
	indexDDL = `CREATE INDEX IF NOT EXISTS throttle_buckets_updated_at ON throttle_buckets (updated_at)`

	// $1 instance, $2 keys, $3 tats, $4 incs, $5 since (database clock),
	// $6 now (unix ns). The INSERT takes row locks in key order, so two
	// instances syncing overlapping keys cannot deadlock. The last arm
	// returns the database's clock for the next since.
	syncSQL = `WITH mine AS (
	INSERT INTO throttle_buckets AS b (key, tat, inc, writer, updated_at)
	SELECT u.key, u.tat, u.inc, $1, now()
	FROM unnest($2::bytea[], $3::bigint[], $4::bigint[]) AS u(key, tat, inc)
	ORDER BY u.key
	ON CONFLICT (key) DO UPDATE
	SET tat = GREATEST(b.tat + EXCLUDED.inc, EXCLUDED.tat), inc = EXCLUDED.inc,
	    writer = EXCLUDED.writer, updated_at = EXCLUDED.updated_at
	RETURNING b.key, b.tat)
SELECT key, tat, NULL::timestamptz FROM mine
UNION ALL
SELECT key, tat, NULL FROM throttle_buckets WHERE updated_at >= $5 AND writer <> $1 AND tat > $6
UNION ALL
SELECT NULL, NULL, now()`

	// Rows not written for a minute whose buckets are full again.
	pruneSQL = `DELETE FROM throttle_buckets WHERE updated_at < now() - interval '1 minute' AND tat < $1`

	// Rows committed up to this long after their statement started are
	// still read by the next sync.
	sinceMargin = 2 * time.Second
)

type pgSync struct {
	db       *sql.DB
	instance string // random: which rows are another instance's

	mu    sync.Mutex // one sync at a time
	ready bool       // the table exists
	since time.Time  // database clock: rows written since were not read yet
}

func newPGSync(db *sql.DB) *pgSync {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &pgSync{db: db, instance: hex.EncodeToString(b)}
}

// ensure creates the table once. Instances starting together take turns
// (a concurrent CREATE ... IF NOT EXISTS can fail on PostgreSQL).
func (p *pgSync) ensure(ctx context.Context) error {
	if p.ready {
		return nil
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`SELECT pg_advisory_xact_lock(hashtext('throttle_buckets'))`, tableDDL, indexDDL} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("throttle: create table: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	p.ready = true
	return nil
}

func (p *pgSync) prune(ctx context.Context, now int64) error {
	_, err := p.db.ExecContext(ctx, pruneSQL, now)
	return err
}

type pending struct {
	key      Key
	tat, inc int64
}

// Sync shares this instance's consumption since the last sync and takes in
// the other instances' (PostgreSQL; a no-op otherwise). Run calls it every
// SyncEvery; tests call it directly.
func (l *Limiter) Sync(ctx context.Context) error {
	p := l.pg
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ensure(ctx); err != nil {
		return err
	}
	var out []pending
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for _, k := range s.dirty {
			if b, ok := s.m[k]; ok && b.pend > 0 { // else evicted meanwhile
				out = append(out, pending{key: k, tat: b.tat, inc: b.pend})
				b.pend = 0
				s.m[k] = b
			}
		}
		s.dirty = s.dirty[:0]
		s.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b pending) int { return bytes.Compare(a.key[:], b.key[:]) })
	keys := make(pq.ByteaArray, len(out))
	tats := make(pq.Int64Array, len(out))
	incs := make(pq.Int64Array, len(out))
	for i := range out {
		keys[i], tats[i], incs[i] = out[i].key[:], out[i].tat, out[i].inc
	}
	now := l.now().UnixNano()
	shared, at, err := p.exchange(ctx, keys, tats, incs, now)
	if err != nil {
		l.unsent(out) // shared at the next sync
		return fmt.Errorf("throttle: sync: %w", err)
	}
	p.since = at.Add(-sinceMargin)
	for _, r := range shared {
		l.merge(r.key, r.tat, now)
	}
	return nil
}

func (p *pgSync) exchange(ctx context.Context, keys pq.ByteaArray, tats, incs pq.Int64Array, now int64) ([]pending, time.Time, error) {
	rows, err := p.db.QueryContext(ctx, syncSQL, p.instance, keys, tats, incs, p.since, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	var shared []pending
	var at time.Time
	for rows.Next() {
		var key []byte
		var tat sql.NullInt64
		var ts sql.NullTime
		if err := rows.Scan(&key, &tat, &ts); err != nil {
			return nil, time.Time{}, err
		}
		if ts.Valid {
			at = ts.Time
			continue
		}
		if len(key) != len(Key{}) || !tat.Valid {
			continue // not ours (another version's key format)
		}
		shared = append(shared, pending{key: Key(key), tat: tat.Int64})
	}
	return shared, at, rows.Err()
}

// merge takes in a shared bucket: ours becomes at least the shared one
// plus what we took since it was read.
func (l *Limiter) merge(k Key, tat, now int64) {
	s := &l.shards[k[1]%nShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	b, found := s.m[k]
	if !found {
		if tat <= now {
			return // full: same as none
		}
		l.makeRoom(s, now)
	}
	b.tat = max(b.tat, tat+b.pend)
	s.m[k] = b
}

// unsent puts back consumption a failed sync did not share.
func (l *Limiter) unsent(out []pending) {
	for _, o := range out {
		s := &l.shards[o.key[1]%nShards]
		s.mu.Lock()
		if b, ok := s.m[o.key]; ok {
			if b.pend == 0 {
				s.markDirty(o.key, l.shardCap)
			}
			b.pend += o.inc
			s.m[o.key] = b
		}
		s.mu.Unlock()
	}
}

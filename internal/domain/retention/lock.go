package retention

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"

	"entgo.io/ent/dialect"
)

// One run at a time, across instances. On PostgreSQL a session advisory
// lock, held on a connection of its own for the run: a second instance's
// try fails at once and it skips this round; an instance that dies drops
// the lock with its connection. The lock is per schema (hashtext of
// current_schema()), so deployments or tests sharing a database in
// separate schemas do not hold each other up. The lock's connection comes
// from the run's own pool, so a pool of one would leave the run's queries
// (and every request) waiting for it for ever: that pool is refused. SQLite
// is one process: a mutex per database.

// errOneConn: the lock would take the pool's only connection.
var errOneConn = errors.New("retention: the run holds its lock on a connection of its own and needs a pool of 2 or more (TONGXUE_DB_MAX_OPEN)")

// lockKey is the runner's advisory lock class ("txretain").
const lockKey = 0x74787265

var sqliteRuns sync.Map // *sql.DB -> *sync.Mutex

// lock takes the run lock if it is free; unlock releases it.
func (r *Runner) lock(ctx context.Context) (unlock func(), ok bool, err error) {
	if r.d.DB.Dialect != dialect.Postgres {
		mu, _ := sqliteRuns.LoadOrStore(r.d.DB.SQL, &sync.Mutex{})
		m := mu.(*sync.Mutex)
		if !m.TryLock() {
			return nil, false, nil
		}
		return m.Unlock, true, nil
	}
	if r.d.DB.SQL.Stats().MaxOpenConnections == 1 {
		return nil, false, errOneConn
	}
	conn, err := r.d.DB.SQL.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockKey).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return func() { release(ctx, conn, r) }, true, nil
}

// release unlocks even when the run's context has ended; should that fail,
// closing the connection drops the lock.
func release(ctx context.Context, conn *sql.Conn, r *Runner) {
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockKey); err != nil {
		r.d.Log.WarnContext(ctx, "retention: unlock", "err", err)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	conn.Close()
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
)

// sqliteDriver adapts ent's SQLite driver to how SQLite works:
//
//   - Times: SQLite keeps times as text and compares them as text, so every
//     time is written in one fixed-width form, UTC with nine fraction
//     digits. The driver's own formatting trims trailing zeros and keeps the
//     zone, which breaks ordering, cursors and range filters.
//   - Writers: SQLite has one writer at a time. Left to its busy timeout,
//     waiting writers poll with growing sleeps and throughput collapses under
//     load; here they queue on a lock instead, so each write starts the
//     moment the previous one ends.
type sqliteDriver struct {
	dialect.Driver
	writer chan struct{} // holds a token while a write is in progress
}

func newSQLiteDriver(d dialect.Driver) sqliteDriver {
	return sqliteDriver{Driver: d, writer: make(chan struct{}, 1)}
}

// errBusy mirrors SQLite's own answer when the write lock stays taken.
var errBusy = errors.New("store: database is busy (a write waited more than 10 s)")

const writeWait = 10 * time.Second

func (d sqliteDriver) lock(ctx context.Context) error {
	t := time.NewTimer(writeWait)
	defer t.Stop()
	select {
	case d.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errBusy
	}
}

func (d sqliteDriver) unlock() { <-d.writer }

func (d sqliteDriver) Exec(ctx context.Context, q string, args, v any) error {
	if err := d.lock(ctx); err != nil {
		return err
	}
	defer d.unlock()
	return d.Driver.Exec(ctx, q, utcArgs(args), v)
}

func (d sqliteDriver) Query(ctx context.Context, q string, args, v any) error {
	if isWrite(q) { // INSERT ... RETURNING and the like
		if err := d.lock(ctx); err != nil {
			return err
		}
		defer d.unlock()
	}
	return d.Driver.Query(ctx, q, utcArgs(args), v)
}

// Tx holds the write lock for the whole transaction: transactions begin
// IMMEDIATE (see sqlitePragmas), so each one writes.
func (d sqliteDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	if err := d.lock(ctx); err != nil {
		return nil, err
	}
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		d.unlock()
		return nil, err
	}
	return &sqliteTx{Tx: tx, release: sync.OnceFunc(d.unlock)}, nil
}

type sqliteTx struct {
	dialect.Tx
	release func()
}

func (t *sqliteTx) Exec(ctx context.Context, q string, args, v any) error {
	return t.Tx.Exec(ctx, q, utcArgs(args), v)
}

func (t *sqliteTx) Query(ctx context.Context, q string, args, v any) error {
	return t.Tx.Query(ctx, q, utcArgs(args), v)
}

func (t *sqliteTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t *sqliteTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}

func isWrite(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC":
		return true
	}
	return false
}

const sqliteTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func utcArgs(args any) any {
	list, ok := args.([]any)
	if !ok {
		return args
	}
	for i, a := range list {
		switch t := a.(type) {
		case time.Time:
			list[i] = t.UTC().Format(sqliteTimeLayout)
		case *time.Time:
			if t != nil {
				list[i] = t.UTC().Format(sqliteTimeLayout)
			}
		}
	}
	return list
}

// ExecContext and QueryContext serve ent's raw statements in a transaction
// (Tx.ExecContext, Tx.QueryContext), with times normalised too.
func (t *sqliteTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("store: ExecContext not supported")
	}
	return ex.ExecContext(ctx, q, utcList(args)...)
}

func (t *sqliteTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	qq, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("store: QueryContext not supported")
	}
	return qq.QueryContext(ctx, q, utcList(args)...)
}

func utcList(args []any) []any {
	out, _ := utcArgs(args).([]any)
	return out
}

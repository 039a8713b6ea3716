package testdb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
)

// Counter counts the SQL statements ent sends, to prove a query shape runs
// in a fixed number of statements (no N+1).
type Counter struct {
	mu    sync.Mutex
	stmts []string
}

// Wrap is an Options.WrapDriver.
func (c *Counter) Wrap(d dialect.Driver) dialect.Driver { return countingDriver{Driver: d, c: c} }

// Reset forgets what was counted.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.stmts = nil
	c.mu.Unlock()
}

// Count is the number of statements since the last Reset.
func (c *Counter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// Statements lists them, for failure messages.
func (c *Counter) Statements() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.stmts, "\n")
}

func (c *Counter) add(q string) {
	c.mu.Lock()
	c.stmts = append(c.stmts, q)
	c.mu.Unlock()
}

type countingDriver struct {
	dialect.Driver
	c *Counter
}

func (d countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.c.add(q)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.c.add(q)
	return d.Driver.Query(ctx, q, args, v)
}

func (d countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return countingTx{Tx: tx, c: d.c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.c.add(q)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.c.add(q)
	return t.Tx.Query(ctx, q, args, v)
}

// ExecContext passes raw statements (SET LOCAL, ...) through, counted.
func (t countingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("testdb: ExecContext not supported")
	}
	t.c.add(q)
	return ex.ExecContext(ctx, q, args...)
}

// QueryContext passes raw queries (UPDATE ... RETURNING, ...) through, counted.
func (t countingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	qq, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("testdb: QueryContext not supported")
	}
	t.c.add(q)
	return qq.QueryContext(ctx, q, args...)
}

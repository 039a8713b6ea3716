package store

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/user"
)

// WithTx runs fn in a transaction: committed when fn returns nil, rolled
// back on an error or a panic, so a multi-step write never half-happens.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// LockUser serialises one user's writes that check before they write (a
// count against a limit, the one default address): on PostgreSQL it locks
// the user's row until tx ends. SQLite transactions already run one at a
// time (_txlock=immediate), and SQLite has no FOR UPDATE.
func LockUser(ctx context.Context, tx *ent.Tx, userID int) error {
	_, err := tx.User.Query().Where(user.ID(userID)).Select(user.FieldID).Modify(func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			s.ForUpdate()
		}
	}).Ints(ctx)
	return err
}

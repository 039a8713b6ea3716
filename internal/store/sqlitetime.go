package store

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
)

// SQLite keeps times as text and compares them as text, so every time must
// be written in one fixed-width form: UTC with nine fraction digits. The
// driver's own formatting trims trailing zeros and keeps the zone (a cursor
// decoded as local time would compare wrongly against stored UTC), which
// breaks ordering, cursors and range filters.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

type sqliteTimes struct{ dialect.Driver }

func (d sqliteTimes) Exec(ctx context.Context, q string, args, v any) error {
	return d.Driver.Exec(ctx, q, utcArgs(args), v)
}

func (d sqliteTimes) Query(ctx context.Context, q string, args, v any) error {
	return d.Driver.Query(ctx, q, utcArgs(args), v)
}

func (d sqliteTimes) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return sqliteTimesTx{tx}, nil
}

type sqliteTimesTx struct{ dialect.Tx }

func (t sqliteTimesTx) Exec(ctx context.Context, q string, args, v any) error {
	return t.Tx.Exec(ctx, q, utcArgs(args), v)
}

func (t sqliteTimesTx) Query(ctx context.Context, q string, args, v any) error {
	return t.Tx.Query(ctx, q, utcArgs(args), v)
}

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

// Package rotatekeys re-seals every sealed column under the key ring's
// primary key (`tongxue rotate-keys`).
package rotatekeys

import (
	"context"
	"fmt"
	"log/slog"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Stats counts what a rotation did.
type Stats struct {
	Scanned, Resealed, Skipped int
}

// Rotate re-seals every sealed column under the ring's primary key, in
// batches of one short statement each, so it can run while servers serve.
// Deploy the new ring (new key first, old keys after) to every server
// before running it; drop an old key only when a run reseals nothing.
// Each row is updated only if it still holds the value read (compare and
// swap), so a concurrent write is never overwritten.
func Rotate(ctx context.Context, db *store.DB, ring *vault.Keyring, batch int, log *slog.Logger) (Stats, error) {
	var st Stats
	cols, err := datamap.SealedColumns()
	if err != nil {
		return st, err
	}
	d := entsql.Dialect(db.Dialect)
	for _, c := range cols {
		before := st
		last := 0
		for {
			q, args := d.Select("id", c.Column).From(entsql.Table(c.Table)).
				Where(entsql.And(entsql.GT("id", last), entsql.NotNull(c.Column))).
				OrderBy("id").Limit(batch).Query()
			rows, err := db.SQL.QueryContext(ctx, q, args...)
			if err != nil {
				return st, fmt.Errorf("rotate %s: %w", c.AAD(), err)
			}
			type row struct {
				id     int
				sealed []byte
			}
			var page []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.sealed); err != nil {
					rows.Close()
					return st, err
				}
				page = append(page, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return st, err
			}
			for _, r := range page {
				st.Scanned++
				last = r.id
				if id, err := vault.KeyID(r.sealed); err == nil && id == ring.PrimaryID() {
					continue
				}
				plain, err := ring.Open(r.sealed, c.AAD())
				if err != nil {
					return st, fmt.Errorf("rotate %s row %d: %w", c.AAD(), r.id, err)
				}
				q, args := d.Update(c.Table).Set(c.Column, ring.Seal(plain, c.AAD())).
					Where(entsql.And(entsql.EQ("id", r.id), entsql.EQ(c.Column, r.sealed))).Query()
				res, err := db.SQL.ExecContext(ctx, q, args...)
				if err != nil {
					return st, fmt.Errorf("rotate %s row %d: %w", c.AAD(), r.id, err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					st.Resealed++
				} else {
					st.Skipped++ // changed meanwhile: the writer sealed it with the current ring
				}
			}
			if len(page) < batch {
				break
			}
		}
		log.InfoContext(ctx, "rotated", "column", c.AAD(), "scanned", st.Scanned-before.Scanned,
			"resealed", st.Resealed-before.Resealed)
	}
	return st, nil
}

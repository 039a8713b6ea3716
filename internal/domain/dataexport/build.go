package dataexport

import (
	"context"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// archiveColumn is the associated data the archive is sealed with.
const archiveColumn = dataexport.Table + "." + dataexport.FieldArchiveCipher

// Build makes the archive of a pending export, seals it and marks the
// export READY for the declared period (kept) from now; an archive that
// cannot be made (a value that does not open, say) marks it FAILED, logged
// by the export's id only.
// An export that is not pending, or that another instance is building, is
// left alone: on PostgreSQL the row is claimed with FOR UPDATE SKIP LOCKED
// for the build's transaction; SQLite runs one writing transaction at a
// time anyway. A build cut short (the context ends) leaves it PENDING.
func (s *Service) Build(ctx context.Context, id int) error {
	_, err := s.build(ctx, id)
	return err
}

// build is Build, saying what became of the export ("": not claimed).
func (s *Service) build(ctx context.Context, id int) (dataexport.Status, error) {
	var (
		failed error
		status dataexport.Status
	)
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		claimed, err := tx.DataExport.Query().
			Where(dataexport.ID(id), dataexport.StatusEQ(dataexport.StatusPENDING)).
			Select(dataexport.FieldID).
			Modify(func(sel *entsql.Selector) {
				if sel.Dialect() == dialect.Postgres {
					sel.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
				}
			}).Ints(ctx)
		if err != nil || len(claimed) == 0 {
			return err
		}
		e, err := tx.DataExport.Get(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		c, err := s.collect(ctx, tx, e.UserID, now)
		var zip []byte
		if err == nil {
			zip, err = c.zipped()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed, status = err, dataexport.StatusFAILED
			return tx.DataExport.UpdateOneID(id).SetStatus(status).Exec(ctx)
		}
		status = dataexport.StatusREADY
		return tx.DataExport.UpdateOneID(id).SetStatus(dataexport.StatusREADY).
			SetReadyAt(now).SetExpiresAt(kept.For.After(now)).
			SetArchiveCipher(s.keys.Ring.Seal(zip, archiveColumn)).SetSizeBytes(len(zip)).Exec(ctx)
	})
	if failed != nil {
		// The error names tables and columns, never a value.
		s.log.ErrorContext(ctx, "data export failed", "export_id", id, "err", failed)
	}
	if err != nil {
		return "", err
	}
	return status, nil
}

// BuildPending builds up to limit pending exports, oldest first (a build a
// request started and did not finish), for the housekeeping runner; safe on
// several instances at once. It returns how many it made ready.
func (s *Service) BuildPending(ctx context.Context, limit int) (int, error) {
	ids, err := s.client.DataExport.Query().Where(dataexport.StatusEQ(dataexport.StatusPENDING)).
		Order(ent.Asc(dataexport.FieldCreatedAt), ent.Asc(dataexport.FieldID)).Limit(limit).IDs(ctx)
	if err != nil {
		return 0, err
	}
	built := 0
	for _, id := range ids {
		status, err := s.build(ctx, id)
		if err != nil {
			return built, err
		}
		if status == dataexport.StatusREADY {
			built++
		}
	}
	return built, nil
}

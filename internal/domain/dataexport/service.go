// Package dataexport gives users a copy of their personal data (R6, PIPL
// art. 45): requestDataExport makes a ZIP of one JSON file per table
// holding their data, with a README in Chinese and a JSON Schema (the same
// file is the transfer format for another processor). What goes in is read
// from the data model and its pii annotations (plan.go), so a new personal
// field cannot be left out. The ZIP is sealed at rest and downloaded once,
// by its owner, through a link given after a fresh SMS verification.
package dataexport

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// kept is how long a ready export can be downloaded: the period declared
// for its archive in ent/schema, which the retention runner (its
// "exports" rule) also enforces by erasing the archive.
var kept = retention.MustKeepOf(dataexport.Table, dataexport.FieldArchiveCipher)

const (
	// Path is where the server serves downloads: Path + token.
	Path = "/exports/"
	// buildTimeout bounds a build started by a request.
	buildTimeout = 2 * time.Minute
	// listLimit bounds myDataExports (older ones are expired or downloaded).
	listLimit = 50
	// requestWindow is the span RequestsPerDay counts in.
	requestWindow = 24 * time.Hour
)

// RequestsPerDay is how many exports a user may start in any 24 hours.
const RequestsPerDay = 3

// Deps are what the service needs.
type Deps struct {
	DB      *store.DB // raw reads of every table go through its dialect
	Keys    vault.Keys
	Media   media.Store // pictures copied into the archive; nil: none
	Now     func() time.Time
	Log     *slog.Logger
	BaseURL string // the server's public URL; links are BaseURL + Path + token
}

// Service starts, builds and hands out exports.
type Service struct {
	client  *ent.Client
	dialect string
	keys    vault.Keys
	media   media.Store
	now     func() time.Time
	log     *slog.Logger
	baseURL string
}

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{client: d.DB.Client, dialect: d.DB.Dialect, keys: d.Keys, media: d.Media, now: d.Now,
		log: d.Log, baseURL: d.BaseURL}
}

// Request starts an export of the user's data and builds it at once. While
// one is pending or ready to download, that one is returned instead; at
// most RequestsPerDay new ones in 24 hours (RATE_LIMITED).
//
// The build runs synchronously after the export's row is committed: a
// student's data is a few hundred rows, built in well under a second, and
// the answer then says READY. It runs on a context of its own (not cut by
// the client leaving) with buildTimeout; an export a build did not finish
// stays PENDING for BuildPending.
func (s *Service) Request(ctx context.Context, userID int) (*ent.DataExport, error) {
	now := s.now().Truncate(time.Microsecond) // as PostgreSQL keeps it: the limit's wait is exact
	e, err := active(ctx, s.client, userID, now)
	if err != nil {
		return nil, err
	}
	if e == nil {
		if e, err = s.start(ctx, userID, now); err != nil {
			return nil, err
		}
	}
	if e.Status == dataexport.StatusPENDING { // new, or one a build did not finish
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
		defer cancel()
		if err := s.Build(bctx, e.ID); err != nil {
			s.log.ErrorContext(ctx, "data export build", "export_id", e.ID, "err", err)
		}
	}
	return s.client.DataExport.Get(ctx, e.ID)
}

// start stores a PENDING export, or returns the one a concurrent request
// stored. The limit counts the user's exports of the last 24 hours in the
// same transaction, under the user's lock: a double tap makes one export
// and counts once (a counter of its own, internal/infra/ratelimit, would
// count every request, and its transaction cannot run inside this one on
// SQLite).
func (s *Service) start(ctx context.Context, userID int, now time.Time) (*ent.DataExport, error) {
	var e *ent.DataExport
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := store.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		var err error
		if e, err = active(ctx, tx.Client(), userID, now); err != nil || e != nil {
			return err
		}
		recent, err := tx.DataExport.Query().
			Where(dataexport.UserID(userID), dataexport.CreatedAtGT(now.Add(-requestWindow))).
			Order(ent.Desc(dataexport.FieldCreatedAt)).Limit(RequestsPerDay).All(ctx)
		if err != nil {
			return err
		}
		if len(recent) == RequestsPerDay {
			wait := recent[len(recent)-1].CreatedAt.Add(requestWindow).Sub(now)
			return apperr.RateLimited(int(math.Ceil(wait.Seconds())))
		}
		e, err = tx.DataExport.Create().SetUserID(userID).SetCreatedAt(now).Save(ctx)
		return err
	})
	return e, err
}

// active is the user's export that is pending or downloadable, or nil.
func active(ctx context.Context, c *ent.Client, userID int, now time.Time) (*ent.DataExport, error) {
	e, err := c.DataExport.Query().Where(dataexport.UserID(userID), dataexport.Or(
		dataexport.StatusEQ(dataexport.StatusPENDING),
		dataexport.And(dataexport.StatusEQ(dataexport.StatusREADY), dataexport.ExpiresAtGT(now)),
	)).Order(ent.Desc(dataexport.FieldCreatedAt), ent.Desc(dataexport.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return e, err
}

// Mine lists the user's exports, newest first. A ready export past its
// expiry shows as EXPIRED even before housekeeping records it.
func (s *Service) Mine(ctx context.Context, userID int) ([]*ent.DataExport, error) {
	list, err := s.client.DataExport.Query().Where(dataexport.UserID(userID)).
		Order(ent.Desc(dataexport.FieldCreatedAt), ent.Desc(dataexport.FieldID)).Limit(listLimit).All(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, e := range list {
		if expired(e, now) {
			e.Status = dataexport.StatusEXPIRED
		}
	}
	return list, nil
}

func expired(e *ent.DataExport, now time.Time) bool {
	return e.Status == dataexport.StatusREADY && (e.ExpiresAt == nil || !now.Before(*e.ExpiresAt))
}

package dataexport

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// tokenPrefix marks download tokens (as txs_ marks session tokens), so a
// leaked one is recognisable.
const tokenPrefix = "txe_"

// ErrGone answers a download token that is unknown, used, expired or not
// the viewer's: the same answer for each, so a token tells nobody anything.
var ErrGone = apperr.NotFound("data export link")

// Link is a single-use download address.
type Link struct {
	URL       string
	ExpiresAt time.Time
}

// Link gives the owner of a READY export a single-use download link, after
// a fresh SMS verification (the reveal window): the copy holds sensitive
// values in full. A new link replaces the previous one; only the token's
// SHA-256 is stored. Another user's export is NOT_FOUND.
func (s *Service) Link(ctx context.Context, v *auth.Viewer, id int) (*Link, error) {
	now := s.now()
	if !v.CanReveal(now) {
		return nil, apperr.New(apperr.CodeVerificationRequired,
			"verify with an SMS code (requestRevealCode, verifyReveal) to download your data")
	}
	e, err := s.client.DataExport.Query().Where(dataexport.ID(id), dataexport.UserID(v.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("data export")
	}
	if err != nil {
		return nil, err
	}
	if e.Status != dataexport.StatusREADY || expired(e, now) {
		return nil, apperr.New(apperr.CodeConflict, "the export is not ready to download (it is %s): see myDataExports",
			strings.ToLower(string(displayStatus(e, now))))
	}
	token, hash := newToken()
	n, err := s.client.DataExport.Update().
		Where(dataexport.ID(id), dataexport.StatusEQ(dataexport.StatusREADY), dataexport.ExpiresAtGT(now)).
		SetTokenHash(hash).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 { // downloaded or expired meanwhile
		return nil, apperr.New(apperr.CodeConflict, "the export changed meanwhile: see myDataExports")
	}
	return &Link{URL: strings.TrimRight(s.baseURL, "/") + Path + token, ExpiresAt: *e.ExpiresAt}, nil
}

// Download is a link being used: for the owner only, once, before the
// export expires. It returns the archive and a file name, and deletes the
// archive and the token in the same conditional update that marks the
// export DOWNLOADED, so two concurrent downloads cannot both succeed.
// Anything else is ErrGone.
func (s *Service) Download(ctx context.Context, token string, v *auth.Viewer) ([]byte, string, error) {
	if v == nil || !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return nil, "", ErrGone
	}
	hash := hashToken(token)
	now := s.now()
	e, err := s.client.DataExport.Query().Where(dataexport.TokenHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, "", ErrGone
	}
	if err != nil {
		return nil, "", err
	}
	if e.UserID != v.UserID || e.Status != dataexport.StatusREADY || expired(e, now) || e.ArchiveCipher == nil || len(*e.ArchiveCipher) == 0 {
		return nil, "", ErrGone
	}
	zip, err := s.keys.Ring.Open(*e.ArchiveCipher, archiveColumn)
	if err != nil {
		return nil, "", fmt.Errorf("dataexport: open archive of export %d: %w", e.ID, err)
	}
	n, err := s.client.DataExport.Update().
		Where(dataexport.ID(e.ID), dataexport.UserID(v.UserID), dataexport.TokenHash(hash),
			dataexport.StatusEQ(dataexport.StatusREADY), dataexport.ExpiresAtGT(now)).
		SetStatus(dataexport.StatusDOWNLOADED).SetDownloadedAt(now).
		ClearArchiveCipher().ClearTokenHash().Save(ctx)
	if err != nil {
		return nil, "", err
	}
	if n == 0 {
		return nil, "", ErrGone
	}
	return zip, fileName(e), nil
}

// IsGone reports whether err is a download refused as ErrGone.
func IsGone(err error) bool { return errors.Is(err, ErrGone) }

func fileName(e *ent.DataExport) string {
	at := e.CreatedAt
	if e.ReadyAt != nil {
		at = *e.ReadyAt
	}
	return "tongxue-data-" + at.In(chinatime.Zone).Format("20060102-150405") + ".zip"
}

func displayStatus(e *ent.DataExport, now time.Time) dataexport.Status {
	if expired(e, now) {
		return dataexport.StatusEXPIRED
	}
	return e.Status
}

func newToken() (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	t := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

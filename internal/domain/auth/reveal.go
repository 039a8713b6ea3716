package auth

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// RevealTTL is how long a fresh verification lets the owner reveal their
// own masked fields.
const RevealTTL = 5 * time.Minute

// RequestRevealCode sends a code to the viewer's own phone.
func (s *Service) RequestRevealCode(ctx context.Context, v *Viewer) (*Ticket, error) {
	u, err := s.client.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, err
	}
	p, err := account.OpenPhone(s.keys.Ring, u)
	if err != nil {
		return nil, err
	}
	return s.sendCode(ctx, p, logincode.PurposeREVEAL)
}

// VerifyReveal checks the code and opens a reveal window on this session.
func (s *Service) VerifyReveal(ctx context.Context, v *Viewer, code string) (time.Time, error) {
	u, err := s.client.User.Get(ctx, v.UserID)
	if err != nil {
		return time.Time{}, err
	}
	lc, err := s.checkCode(ctx, u.PhoneHash, logincode.PurposeREVEAL, code)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	until := now.Add(RevealTTL)
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := consumeCode(ctx, tx, lc, now); err != nil {
			return err
		}
		return tx.Session.UpdateOneID(v.SessionID).Where(session.RevokedAtIsNil()).SetRevealUntil(until).Exec(ctx)
	})
	if err != nil {
		return time.Time{}, err
	}
	v.RevealUntil = &until
	return until, nil
}

// CanReveal reports whether the viewer verified freshly enough to reveal
// their own masked data now.
func (v *Viewer) CanReveal(now time.Time) bool {
	return v != nil && v.RevealUntil != nil && now.Before(*v.RevealUntil)
}

package auth

import (
	"context"
	"errors"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// Changing the phone number (R1: "phone after re-verification") needs a
// code sent to the current number (its holder agrees) and one sent to the
// new number (the user holds it). Both are ordinary SMS codes (codes.go):
// the same per-number and per-IP limits, the same hashing, the same tries.
//
// Whether the new number already has an account is said only once both
// codes are right. Asking for the codes answers the same for any number,
// so a signed-in user cannot probe which numbers are registered; after the
// new number's code, its holder learns nothing the log-in screen would not
// tell them (it says whether a number registers).

// PhoneChangeCodes are the tickets of the two codes.
type PhoneChangeCodes struct {
	Old, New *Ticket
}

// RequestPhoneChangeCodes sends a code to the viewer's current number and
// one to newPhone. The current number's goes first: if the second cannot go
// (a limit), the app waits ResendAfter and asks for both again.
func (s *Service) RequestPhoneChangeCodes(ctx context.Context, v *Viewer, newPhone string) (*PhoneChangeCodes, error) {
	u, current, next, err := s.phoneChange(ctx, v, newPhone)
	if err != nil {
		return nil, err
	}
	old, err := s.sendCode(ctx, current, logincode.PurposePHONE_OLD)
	if err != nil {
		return nil, err
	}
	nw, err := s.sendCode(ctx, next, logincode.PurposePHONE_NEW)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "phone change codes sent", "user_id", u.ID)
	return &PhoneChangeCodes{Old: old, New: nw}, nil
}

// ChangePhone moves the viewer's account to newPhone once both codes are
// right: in one transaction it uses both codes up, replaces the number's
// hash and ciphertext, records the change (no value) and ends the user's
// other sessions. The number is the account's only log-in credential, so a
// device signed in before the change (an old phone passed on with its SIM)
// must sign in again; the session that made the change stays.
func (s *Service) ChangePhone(ctx context.Context, v *Viewer, newPhone, oldCode, newCode string) (*ent.User, error) {
	u, _, next, err := s.phoneChange(ctx, v, newPhone)
	if err != nil {
		return nil, err
	}
	oldLC, err := s.checkCode(ctx, u.PhoneHash, logincode.PurposePHONE_OLD, oldCode)
	if err != nil {
		return nil, codeField(err, "oldCode")
	}
	hash, sealed := account.SealPhone(s.keys, next)
	newLC, err := s.checkCode(ctx, hash, logincode.PurposePHONE_NEW, newCode)
	if err != nil {
		return nil, codeField(err, "newCode")
	}
	// The new number's holder is proven: they may learn it is taken.
	taken, err := s.client.User.Query().Where(user.PhoneHash(hash)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, errNumberTaken()
	}
	now := s.now()
	var (
		changed *ent.User
		ended   []int
	)
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := consumeCode(ctx, tx, oldLC, now); err != nil {
			return codeField(err, "oldCode")
		}
		if err := consumeCode(ctx, tx, newLC, now); err != nil {
			return codeField(err, "newCode")
		}
		// Only from the number the codes were checked for: a concurrent
		// change makes this one fail rather than overwrite it.
		n, err := tx.User.Update().Where(user.ID(u.ID), user.PhoneHash(u.PhoneHash)).
			SetPhoneHash(hash).SetPhoneCipher(sealed).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.CodeConflict, "the account's number changed meanwhile; start again")
		}
		if err := account.RecordChanges(ctx, tx, u.ID, now, accountchange.FieldPHONE); err != nil {
			return err
		}
		if ended, err = tx.Session.Query().Where(session.UserID(u.ID), session.IDNEQ(v.SessionID),
			session.RevokedAtIsNil(), session.ExpiresAtGT(now)).IDs(ctx); err != nil {
			return err
		}
		if len(ended) > 0 {
			if err := tx.Session.Update().Where(session.IDIn(ended...)).SetRevokedAt(now).Exec(ctx); err != nil {
				return err
			}
		}
		changed, err = tx.User.Get(ctx, u.ID)
		return err
	})
	if ent.IsConstraintError(err) { // registered between the check and the update
		return nil, errNumberTaken()
	}
	if err != nil {
		return nil, err
	}
	if s.ends != nil { // what the ended sessions hold open closes, on every instance
		for _, id := range ended {
			s.ends.ended(ctx, id)
		}
	}
	s.log.InfoContext(ctx, "phone changed", "user_id", u.ID, "sessions_ended", len(ended))
	return changed, nil
}

// phoneChange reads the viewer's account and both numbers, normalised;
// the new one must differ from the current one.
func (s *Service) phoneChange(ctx context.Context, v *Viewer, newPhone string) (u *ent.User, current, next string, err error) {
	next, err = phone.Normalize(newPhone)
	if err != nil {
		return nil, "", "", apperr.BadField("newPhone", "%s", err.Error())
	}
	if u, err = s.client.User.Get(ctx, v.UserID); err != nil {
		return nil, "", "", err
	}
	if current, err = account.OpenPhone(s.keys.Ring, u); err != nil {
		return nil, "", "", err
	}
	if next == current {
		return nil, "", "", apperr.BadField("newPhone", "this is already your number")
	}
	return u, current, next, nil
}

func errNumberTaken() error {
	return apperr.New(apperr.CodeConflict, "this number already has an account: cancel that account first, or keep your number").
		With("field", "newPhone")
}

// codeField names which of the two codes an error of checkCode or
// consumeCode is about.
func codeField(err error, field string) error {
	var e *apperr.Error
	if errors.As(err, &e) && e.Extensions["field"] == "code" {
		return e.With("field", field)
	}
	return err
}

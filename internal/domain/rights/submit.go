package rights

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// MaxOpenPerKind caps a user's open requests of one kind. Repeats are the
// staff's to refuse, with a reason (R8), never the server's; this only
// keeps one account from filling the queue: a fourth identical request
// adds nothing the first three do not already ask.
const MaxOpenPerKind = 3

// maxDetails bounds what a requester writes.
const maxDetails = 2000

// Submit files a request of the user about their own data.
func (s *Service) Submit(ctx context.Context, userID int, kind privacyrequest.Kind, details *string) (*Request, error) {
	if err := privacyrequest.KindValidator(kind); err != nil {
		return nil, apperr.BadField("kind", "not a kind of request")
	}
	text, err := cleanDetails(details)
	if err != nil {
		return nil, err
	}
	var r *ent.PrivacyRequest
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := store.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		open, err := tx.PrivacyRequest.Query().Where(privacyrequest.UserID(userID),
			privacyrequest.RequesterEQ(privacyrequest.RequesterSELF), privacyrequest.KindEQ(kind),
			privacyrequest.StatusEQ(privacyrequest.StatusOPEN)).Count(ctx)
		if err != nil {
			return err
		}
		if open >= MaxOpenPerKind {
			return apperr.BadField("kind", "you already have %d open requests of this kind: each is answered "+
				"within %d working days", open, AnswerWithinWorkingDays)
		}
		now := s.now()
		c := tx.PrivacyRequest.Create().SetUserID(userID).SetKind(kind).SetRequester(privacyrequest.RequesterSELF).
			SetCreatedAt(now).SetDueAt(s.dueAt(ctx, now))
		if text != "" {
			c.SetDetailsCipher(s.keys.Ring.Seal([]byte(text), detailsColumn))
		}
		r, err = c.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "privacy request", "id", r.ID, "kind", r.Kind, "requester", r.Requester, "user_id", userID)
	return s.view(r)
}

// cleanDetails trims what the requester wrote; "" when nothing.
func cleanDetails(details *string) (string, error) {
	if details == nil {
		return "", nil
	}
	text := strings.TrimSpace(*details)
	if utf8.RuneCountInString(text) > maxDetails {
		return "", apperr.BadField("details", "details have at most %d characters", maxDetails)
	}
	return text, nil
}

// mineLimit bounds myPrivacyRequests, which has no page argument: answered
// requests are kept for years, and each listed one is decrypted.
const mineLimit = 50

// Mine lists the requests the user made, newest first, at most mineLimit
// (not those a next of kin made about them: those hold the kin's words).
func (s *Service) Mine(ctx context.Context, userID int) ([]*Request, error) {
	rs, err := s.client.PrivacyRequest.Query().
		Where(privacyrequest.UserID(userID), privacyrequest.RequesterEQ(privacyrequest.RequesterSELF)).
		Order(ent.Desc(privacyrequest.FieldCreatedAt), ent.Desc(privacyrequest.FieldID)).
		Limit(mineLimit).Select(withoutDocuments...).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Request, len(rs))
	for i, r := range rs {
		if out[i], err = s.view(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetKinArrangement records what may happen to the user's data after their
// death (R7); nil forgets it. The change is recorded, never its value.
func (s *Service) SetKinArrangement(ctx context.Context, userID int, arrangement *user.KinArrangement) (*ent.User, error) {
	if arrangement != nil {
		if err := user.KinArrangementValidator(*arrangement); err != nil {
			return nil, apperr.BadField("arrangement", "not an arrangement")
		}
	}
	var u *ent.User
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		up := tx.User.UpdateOneID(userID)
		if arrangement == nil {
			up.ClearKinArrangement()
		} else {
			up.SetKinArrangement(*arrangement)
		}
		var err error
		if u, err = up.Save(ctx); err != nil {
			return err
		}
		return tx.AccountChange.Create().SetUserID(userID).SetField(accountchange.FieldKIN_ARRANGEMENT).
			SetCreatedAt(s.now()).Exec(ctx)
	})
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("account")
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "kin arrangement recorded", "user_id", userID)
	return u, nil
}

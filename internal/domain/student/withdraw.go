package student

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/consent"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/ent/studentverification"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// Withdrawing a consent erases what was kept only under it (P2, R4), in
// the withdrawal's transaction (privacy.OnWithdraw), and stops what
// depended on it.

// Effects of the withdrawals, as the withdrawal's answer lists them.
const (
	EffectIdentityDeleted = "student verification and its identity documents (name, ID number, student card photo, CHSI code) deleted; student offers need a new verification"
	EffectCHSICodeDeleted = "CHSI verification code deleted; nothing more is sent to the verification service"
)

// forgetIdentity deletes the user's verification, verified or refused:
// every value in it (name, ID number and its look-up hash, card photo, CHSI
// code) is sensitive identity data kept only under SENSITIVE_IDENTITY. The
// row goes whole: name and ID number are required columns, and what would
// be left (school, status) would claim a verification nothing proves any
// more.
func forgetIdentity(ctx context.Context, tx *ent.Tx, userID int) (string, error) {
	n, err := tx.StudentVerification.Delete().Where(studentverification.UserID(userID)).Exec(ctx)
	if err != nil || n == 0 {
		return "", err
	}
	return EffectIdentityDeleted, nil
}

// forgetCHSICode erases the CHSI code, which was kept only to be given to
// the verification service (SHARE_VERIFICATION). The verification already
// made stands: a withdrawal does not undo past processing.
func forgetCHSICode(ctx context.Context, tx *ent.Tx, userID int) (string, error) {
	n, err := tx.StudentVerification.Update().
		Where(studentverification.UserID(userID), studentverification.ChsiCodeCipherNotNil()).
		ClearChsiCodeCipher().Save(ctx)
	if err != nil || n == 0 {
		return "", err
	}
	return EffectCHSICodeDeleted, nil
}

// ForgetWithdrawn erases what withdrawals made before these hooks existed
// left behind: the verifications of users whose SENSITIVE_IDENTITY is
// withdrawn and the CHSI codes of those whose SHARE_VERIFICATION is. The
// server runs it at start-up (internal/app); once done it changes nothing.
func (s *Service) ForgetWithdrawn(ctx context.Context) error {
	var deleted, cleared int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if deleted, err = tx.StudentVerification.Delete().Where(withdrawnBy(pii.SensitiveID)).Exec(ctx); err != nil {
			return err
		}
		cleared, err = tx.StudentVerification.Update().
			Where(withdrawnBy(pii.ShareVerifier), studentverification.ChsiCodeCipherNotNil()).
			ClearChsiCodeCipher().Save(ctx)
		return err
	})
	if err == nil && deleted+cleared > 0 {
		s.log.InfoContext(ctx, "student: documents of earlier withdrawals erased", "verifications", deleted, "chsi_codes", cleared)
	}
	return err
}

// withdrawnBy holds the verifications of users who withdrew p.
func withdrawnBy(p pii.Purpose) predicate.StudentVerification {
	return func(sel *sql.Selector) {
		c := sql.Table(consent.Table)
		sel.Where(sql.In(sel.C(studentverification.FieldUserID),
			sql.Select(c.C(consent.FieldUserID)).From(c).
				Where(sql.And(sql.EQ(c.C(consent.FieldPurpose), string(p)), sql.EQ(c.C(consent.FieldGranted), false)))))
	}
}

// identityWithdrawn reports whether the user withdrew SENSITIVE_IDENTITY
// and has not given it again. The consent in force comes with the viewer's
// session; only a user without it costs a read.
func (s *Service) identityWithdrawn(ctx context.Context, userID int) (bool, error) {
	ok, err := s.priv.Allowed(ctx, userID, pii.SensitiveID)
	if err != nil || ok {
		return false, err
	}
	return s.client.Consent.Query().
		Where(consent.UserID(userID), consent.PurposeEQ(pii.SensitiveID), consent.Granted(false)).Exist(ctx)
}

// OfferCheck is the student check of student-only offers
// (orders.StudentChecker).
type OfferCheck struct{ s *Service }

// ForOffers returns the check orders use for student-only products.
func (s *Service) ForOffers() OfferCheck { return OfferCheck{s} }

// IsVerified reports whether the user is a verified student. Once the
// user has withdrawn SENSITIVE_IDENTITY it answers CONSENT_REQUIRED naming
// it, so the app asks for the consent again (then for a new verification:
// the documents went with the withdrawal). A user who never decided on it
// has no verification either (submitting one needs the consent) and is
// told to verify.
func (c OfferCheck) IsVerified(ctx context.Context, userID int) (bool, error) {
	withdrawn, err := c.s.identityWithdrawn(ctx, userID)
	if err != nil {
		return false, err
	}
	if withdrawn {
		return false, c.s.priv.RequireConsent(ctx, userID, pii.SensitiveID)
	}
	return c.s.verified(ctx, userID)
}

// Package student verifies student identities (S4) through a verification
// service, under the separate consents for sharing with that service and
// for processing identity documents. Everything it keeps is sealed.
package student

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/studentverification"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
)

const table = studentverification.Table

// View is a verification with name and ID number opened, for the graph
// (which masks them).
type View struct {
	UserID         int
	Name, IDNumber string
	School         string
	Status         studentverification.Status
	Reason         string
	VerifiedAt     *time.Time
	EnrolledUntil  *time.Time
}

// OwnerID is the student, for @mask reveals.
func (v *View) OwnerID() int { return v.UserID }

// Service keeps verifications.
type Service struct {
	client   *ent.Client
	keys     vault.Keys
	provider studentverify.Provider
	priv     *privacy.Service
	now      func() time.Time
	log      *slog.Logger
}

// Deps are what the service is built from.
type Deps struct {
	Client   *ent.Client
	Keys     vault.Keys
	Verifier studentverify.Provider
	Privacy  *privacy.Service
	Now      func() time.Time
	Log      *slog.Logger
}

// New returns the service and makes withdrawals of its two consents erase
// what was kept under them (withdraw.go).
func New(d Deps) *Service {
	s := &Service{client: d.Client, keys: d.Keys, provider: d.Verifier, priv: d.Privacy, now: d.Now, log: d.Log}
	d.Privacy.OnWithdraw(pii.SensitiveID, forgetIdentity)
	d.Privacy.OnWithdraw(pii.ShareVerifier, forgetCHSICode)
	return s
}

// Submit checks the request, asks the verification service and stores the
// result. The hand-over goes in the sharing ledger before the call (the data
// may arrive even when the call fails). A refused attempt stores neither the
// ID number's look-up hash nor the card photo and code, so it blocks nobody,
// and never replaces a verified identity.
func (s *Service) Submit(ctx context.Context, v *auth.Viewer, in studentverify.Request) (*View, error) {
	r := studentverify.Normalize(in)
	now := s.now()
	if err := studentverify.Check(r, now); err != nil {
		return nil, err
	}
	// The card photo goes out without its metadata (EXIF may say where and
	// when it was taken).
	img, err := media.Clean(r.CardPhoto, media.Limits{MaxBytes: studentverify.MaxPhotoBytes})
	if err != nil {
		return nil, apperr.BadField(studentverify.FieldCardPhoto, "the photo could not be read as a JPEG or PNG picture")
	}
	r.CardPhoto = img.Data
	// A4: the ID number's holder must be old enough.
	if _, err := idcard.Validate(r.IDNumber, now, account.MinimumAge); err != nil {
		return nil, err
	}
	if err := privacy.RecordSharingBefore(ctx, s.client, privacy.Sharing{
		UserID: v.UserID, Recipient: s.provider.Name(), RecipientContact: "学信网 / verification service support",
		Purpose: pii.ShareVerifier, Method: "HTTPS API (signed)",
		Categories: "姓名、身份证号、学生证照片、在读学校、学信网验证码",
	}, now); err != nil {
		return nil, err
	}
	res, err := s.provider.Verify(ctx, r)
	if err != nil {
		if ie := (*studentverify.InputError)(nil); errors.As(err, &ie) {
			return nil, err // the graph shows it with its field (apperr.As)
		}
		s.log.WarnContext(ctx, "student verification", "err", err)
		return nil, apperr.New(apperr.CodeVerificationUnavailable, "the verification service is not answering; try again shortly")
	}
	view := &View{UserID: v.UserID, Name: r.Name, IDNumber: r.IDNumber, School: r.School,
		Status: studentverification.StatusREJECTED, Reason: res.Reason}
	if res.Verified {
		view.Status, view.VerifiedAt, view.EnrolledUntil = studentverification.StatusVERIFIED, &now, res.EnrolledUntil
	}
	if err := s.store(ctx, v.UserID, r, res, view, now); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "student verification", "user_id", v.UserID, "verified", res.Verified, "reason", res.Reason)
	return view, nil
}

// store keeps the result: a verified identity with everything, a refused
// one with name, ID number and school only (what the user sees of it).
func (s *Service) store(ctx context.Context, userID int, r studentverify.Request, res *studentverify.Result, view *View, now time.Time) error {
	seal := func(b []byte, col string) []byte { return s.keys.Ring.Seal(b, table+"."+col) }
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.StudentVerification.Create().SetUserID(userID).
			SetNameCipher(seal([]byte(r.Name), studentverification.FieldNameCipher)).
			SetIDNumberCipher(seal([]byte(r.IDNumber), studentverification.FieldIDNumberCipher)).
			SetSchool(r.School).SetStatus(view.Status).SetReason(res.Reason).SetProviderRef(res.Ref).
			SetNillableVerifiedAt(view.VerifiedAt).SetNillableEnrolledUntil(view.EnrolledUntil).SetUpdatedAt(now)
		if res.Verified {
			c.SetIDNumberHash(s.keys.Index.Hash("id-number", r.IDNumber)).
				SetCardPhotoCipher(seal(r.CardPhoto, studentverification.FieldCardPhotoCipher)).
				SetChsiCodeCipher(seal([]byte(r.CHSICode), studentverification.FieldChsiCodeCipher))
		} else {
			verified, err := tx.StudentVerification.Query().Where(studentverification.UserID(userID),
				studentverification.StatusEQ(studentverification.StatusVERIFIED)).Exist(ctx)
			if err != nil || verified {
				return err // a refusal does not undo a verified identity
			}
		}
		return c.OnConflictColumns(studentverification.FieldUserID).UpdateNewValues().Exec(ctx)
	})
	if ent.IsConstraintError(err) {
		return apperr.BadField("idNumber", "this ID number is already verified on another account")
	}
	return err
}

// IsVerified reports whether the user is a verified, still enrolled
// student who has not withdrawn SENSITIVE_IDENTITY (the star card's
// student claim: false, never an error, once it is withdrawn).
func (s *Service) IsVerified(ctx context.Context, userID int) (bool, error) {
	withdrawn, err := s.identityWithdrawn(ctx, userID)
	if err != nil || withdrawn {
		return false, err
	}
	return s.verified(ctx, userID)
}

// verified reads the verification itself.
func (s *Service) verified(ctx context.Context, userID int) (bool, error) {
	sv, err := s.client.StudentVerification.Query().Where(studentverification.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return sv.Status == studentverification.StatusVERIFIED &&
		(sv.EnrolledUntil == nil || sv.EnrolledUntil.After(s.now())), nil
}

// Mine returns the user's verification, or nil.
func (s *Service) Mine(ctx context.Context, userID int) (*View, error) {
	sv, err := s.client.StudentVerification.Query().Where(studentverification.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name, err := s.keys.Ring.Open(sv.NameCipher, table+"."+studentverification.FieldNameCipher)
	if err != nil {
		return nil, err
	}
	id, err := s.keys.Ring.Open(sv.IDNumberCipher, table+"."+studentverification.FieldIDNumberCipher)
	if err != nil {
		return nil, err
	}
	return &View{UserID: userID, Name: string(name), IDNumber: string(id), School: sv.School, Status: sv.Status,
		Reason: sv.Reason, VerifiedAt: sv.VerifiedAt, EnrolledUntil: sv.EnrolledUntil}, nil
}

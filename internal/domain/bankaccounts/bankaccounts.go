// Package bankaccounts opens the Class II bank account (二类户) behind a
// student's star card (C2) at the partner bank, and reads its balance and
// transactions, each under the consents the policy asks for.
package bankaccounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Service opens and shows star cards' Class II bank accounts (C2).
type Service struct {
	client *ent.Client
	ring   *vault.Keyring
	priv   *privacy.Service
	bank   bank.Bank
	now    func() time.Time
	log    *slog.Logger
}

// Deps are what Accounts are built from.
type Deps struct {
	Client  *ent.Client
	Ring    *vault.Keyring
	Privacy *privacy.Service
	Bank    bank.Bank
	Now     func() time.Time
	Log     *slog.Logger
}

// New returns the service.
func New(d Deps) *Service {
	return &Service{client: d.Client, ring: d.Ring, priv: d.Privacy, bank: d.Bank, now: d.Now, log: d.Log}
}

// Consents each call to the bank needs, checked here before the call
// whatever path asks (a resolver, a batch, a subscription): a withdrawn
// consent stops the processing, not only the field that shows it.
var (
	openConsents = []pii.Purpose{pii.ShareBank, pii.SensitiveID, pii.SensitiveFace, pii.SensitiveMoney}
	readConsents = []pii.Purpose{pii.SensitiveMoney}
)

// consented returns CONSENT_REQUIRED unless the holder consents to every
// purpose now.
func (s *Service) consented(ctx context.Context, userID int, purposes []pii.Purpose) error {
	for _, p := range purposes {
		if err := s.priv.RequireConsent(ctx, userID, p); err != nil {
			return err
		}
	}
	return nil
}

func col(c string) string { return bankaccount.Table + "." + c }

// View is an account opened for the graph (which masks it).
type View struct {
	UserID        int
	HolderName    string
	AccountNumber *string
	BoundCard     string
	Status        bankaccount.Status
	Reason        string
	Warnings      []string
	bankRef       string
}

// OwnerID is the holder.
func (v *View) OwnerID() int { return v.UserID }

// ApplyInput is what the student sends.
type ApplyInput struct {
	Name, IDNumber, BoundCard string
	IDPhotoFront, IDPhotoBack []byte
	FaceData                  []byte
}

// WarnBoundCardChecksum is the warning for a bound card that fails the
// Luhn check: likely a typing error, but some cards do not use it.
const WarnBoundCardChecksum = "BOUND_CARD_CHECKSUM"

// Apply sends a Class II account application to the partner bank. The
// application is stored (sealed) before the call and its id is the bank's
// idempotency key: while it awaits an answer, applying again resends it as
// it was, so the bank never opens two accounts. After a refusal a new
// application starts. The hand-over is in the ledger before the call; the
// ID number, photos and face data are erased once the bank has answered.
func (s *Service) Apply(ctx context.Context, v *auth.Viewer, in ApplyInput) (*View, error) {
	if err := s.consented(ctx, v.UserID, openConsents); err != nil {
		return nil, err
	}
	u, err := s.client.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, err
	}
	phone, err := account.OpenPhone(s.ring, u)
	if err != nil {
		return nil, err
	}
	app := bank.Normalize(bank.Application{Name: in.Name, IDNumber: in.IDNumber, Phone: phone,
		IDPhotoFront: in.IDPhotoFront, IDPhotoBack: in.IDPhotoBack, FaceData: in.FaceData, BoundCard: in.BoundCard})
	now := s.now()
	if err := bank.CheckApplication(app, now); err != nil {
		return nil, err
	}
	// The photos go to the bank without their metadata (EXIF may say where
	// and when they were taken).
	for _, p := range []struct {
		field string
		b     *[]byte
	}{{bank.FieldIDPhotoFront, &app.IDPhotoFront}, {bank.FieldIDPhotoBack, &app.IDPhotoBack}} {
		img, err := media.Clean(*p.b, media.Limits{MaxBytes: bank.MaxPhotoBytes})
		if err != nil {
			return nil, apperr.BadField(p.field, "the photo could not be read as a JPEG or PNG picture")
		}
		*p.b = img.Data
	}
	if app, err = s.claim(ctx, v.UserID, app, now); err != nil {
		return nil, err
	}
	if err := privacy.RecordSharingBefore(ctx, s.client, privacy.Sharing{
		UserID: v.UserID, Recipient: s.bank.Name() + " (合作金融机构)", RecipientContact: "the partner bank's customer service",
		Purpose: pii.ShareBank, Method: "HTTPS API (signed)",
		Categories: "姓名、身份证号、手机号、身份证件照片、人脸信息、银行卡信息", Reference: app.ApplicationID,
	}, now); err != nil {
		return nil, err
	}
	acct, err := s.bank.Open(ctx, app)
	if err != nil {
		return nil, s.openFailed(ctx, v.UserID, app, err)
	}
	return s.answered(ctx, v.UserID, app, acct, now)
}

// claim stores a new application, or returns the one awaiting the bank's
// answer, in one transaction (two concurrent first applications: one wins).
func (s *Service) claim(ctx context.Context, userID int, app bank.Application, now time.Time) (bank.Application, error) {
	seal := func(b []byte, c string) []byte { return s.ring.Seal(b, col(c)) }
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		existing, err := tx.BankAccount.Query().Where(bankaccount.UserID(userID)).Only(ctx)
		switch {
		case err == nil && existing.Status == bankaccount.StatusPENDING:
			app, err = s.pending(existing, app.Phone)
			return err
		case err == nil && existing.Status != bankaccount.StatusREJECTED:
			return apperr.New(apperr.CodeConflict, "you already have a star card account")
		case err == nil:
			if err := tx.BankAccount.DeleteOne(existing).Exec(ctx); err != nil { // a new application after a refusal
				return err
			}
		case !ent.IsNotFound(err):
			return err
		}
		app.ApplicationID = newApplicationID()
		return tx.BankAccount.Create().SetUserID(userID).SetApplicationID(app.ApplicationID).
			SetNameCipher(seal([]byte(app.Name), bankaccount.FieldNameCipher)).
			SetIDNumberCipher(seal([]byte(app.IDNumber), bankaccount.FieldIDNumberCipher)).
			SetIDPhotoCipher(seal(app.IDPhotoFront, bankaccount.FieldIDPhotoCipher)).
			SetIDPhotoBackCipher(seal(app.IDPhotoBack, bankaccount.FieldIDPhotoBackCipher)).
			SetFaceCipher(seal(app.FaceData, bankaccount.FieldFaceCipher)).
			SetBoundCardCipher(seal([]byte(app.BoundCard), bankaccount.FieldBoundCardCipher)).
			SetBank(s.bank.Name()).SetStatus(bankaccount.StatusPENDING).SetCreatedAt(now).Exec(ctx)
	})
	if ent.IsConstraintError(err) {
		return app, apperr.New(apperr.CodeConflict, "an application of yours is already on its way to the bank")
	}
	return app, err
}

// pending opens the stored application to send it again unchanged.
func (s *Service) pending(a *ent.BankAccount, phone string) (bank.Application, error) {
	var errs []error
	open := func(sealed []byte, column string) []byte {
		if len(sealed) == 0 {
			errs = append(errs, fmt.Errorf("bankaccounts: pending application without %s", column))
			return nil
		}
		b, err := s.ring.Open(sealed, col(column))
		errs = append(errs, err)
		return b
	}
	app := bank.Application{ApplicationID: a.ApplicationID, Phone: phone,
		Name:         string(open(a.NameCipher, bankaccount.FieldNameCipher)),
		IDNumber:     string(open(deref(a.IDNumberCipher), bankaccount.FieldIDNumberCipher)),
		IDPhotoFront: open(deref(a.IDPhotoCipher), bankaccount.FieldIDPhotoCipher),
		IDPhotoBack:  open(deref(a.IDPhotoBackCipher), bankaccount.FieldIDPhotoBackCipher),
		FaceData:     open(deref(a.FaceCipher), bankaccount.FieldFaceCipher),
		BoundCard:    string(open(a.BoundCardCipher, bankaccount.FieldBoundCardCipher)),
	}
	return app, errors.Join(errs...)
}

// openFailed keeps the application when its fate is unknown (the bank did
// not answer: a retry resends it) and drops it when the bank refused the
// data itself (nothing was opened; the student corrects and applies again).
func (s *Service) openFailed(ctx context.Context, userID int, app bank.Application, err error) error {
	be, _ := partner.AsError(err)
	refused := partner.Refused(err)
	var ie *bank.InputError
	if refused || errors.As(err, &ie) {
		if _, derr := s.client.BankAccount.Delete().Where(bankaccount.UserID(userID),
			bankaccount.ApplicationID(app.ApplicationID), bankaccount.StatusEQ(bankaccount.StatusPENDING)).Exec(ctx); derr != nil {
			return derr
		}
	}
	s.log.WarnContext(ctx, "bank open", "err", err)
	switch {
	case ie != nil:
		return ie
	case refused:
		return apperr.New(apperr.CodeBankRefused, "the bank refused the application (%s): check what you entered and apply again", be.Code)
	}
	return apperr.New(apperr.CodeBankUnavailable, "the bank is not answering; your application is kept: apply again shortly to resend it")
}

// answered records the bank's answer on the application it answers and
// erases the documents that were only kept for a resend.
func (s *Service) answered(ctx context.Context, userID int, app bank.Application, acct *bank.Account, now time.Time) (*View, error) {
	status := bankaccount.Status(acct.Status)
	if bankaccount.StatusValidator(status) != nil {
		status = bankaccount.StatusPENDING
	}
	upd := s.client.BankAccount.Update().Where(bankaccount.UserID(userID), bankaccount.ApplicationID(app.ApplicationID)).
		SetBankRef(acct.BankRef).SetStatus(status).SetReason(acct.Reason).SetUpdatedAt(now)
	if acct.AccountNumber != "" {
		upd.SetAccountNumberCipher(s.ring.Seal([]byte(acct.AccountNumber), col(bankaccount.FieldAccountNumberCipher)))
	}
	if status != bankaccount.StatusPENDING {
		upd.ClearIDNumberCipher().ClearIDPhotoCipher().ClearIDPhotoBackCipher().ClearFaceCipher()
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, fmt.Errorf("bankaccounts: application %s is no longer stored", app.ApplicationID)
	}
	view := &View{UserID: userID, HolderName: app.Name, BoundCard: app.BoundCard, Status: status,
		Reason: acct.Reason, Warnings: warnings(app.BoundCard), bankRef: acct.BankRef}
	if acct.AccountNumber != "" {
		view.AccountNumber = &acct.AccountNumber
	}
	return view, nil
}

// warnings are what the app should point out about an account's data.
func warnings(boundCard string) []string {
	if bank.LuhnValid(boundCard) {
		return []string{}
	}
	return []string{WarnBoundCardChecksum}
}

// deref reads an optional sealed column (NULL reads as nil).
func deref(b *[]byte) []byte {
	if b == nil {
		return nil
	}
	return *b
}

// Mine returns the viewer's account, or nil.
func (s *Service) Mine(ctx context.Context, userID int) (*View, error) {
	a, err := s.client.BankAccount.Query().Where(bankaccount.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name, err := s.ring.Open(a.NameCipher, col(bankaccount.FieldNameCipher))
	if err != nil {
		return nil, err
	}
	card, err := s.ring.Open(a.BoundCardCipher, col(bankaccount.FieldBoundCardCipher))
	if err != nil {
		return nil, err
	}
	v := &View{UserID: userID, HolderName: string(name), BoundCard: string(card), Status: a.Status,
		Reason: a.Reason, Warnings: warnings(string(card)), bankRef: a.BankRef}
	if a.AccountNumberCipher != nil && len(*a.AccountNumberCipher) > 0 {
		n, err := s.ring.Open(*a.AccountNumberCipher, col(bankaccount.FieldAccountNumberCipher))
		if err != nil {
			return nil, err
		}
		str := string(n)
		v.AccountNumber = &str
	}
	return v, nil
}

// Balance reads the account's balance at the bank, with the holder's
// SENSITIVE_FINANCIAL consent only.
func (s *Service) Balance(ctx context.Context, v *View) (*bank.Balance, error) {
	if v.Status != bankaccount.StatusOPEN {
		return nil, nil
	}
	if err := s.consented(ctx, v.UserID, readConsents); err != nil {
		return nil, err
	}
	b, err := s.bank.Balance(ctx, v.bankRef)
	if err != nil {
		s.log.WarnContext(ctx, "bank balance", "err", err)
		return nil, apperr.New(apperr.CodeBankUnavailable, "the bank is not answering; try again shortly")
	}
	return b, nil
}

// Transactions lists the account's transactions through the platform,
// with the holder's SENSITIVE_FINANCIAL consent only.
func (s *Service) Transactions(ctx context.Context, v *View, after string, limit int) ([]bank.Transaction, string, error) {
	if v.Status != bankaccount.StatusOPEN {
		return nil, "", nil
	}
	if err := s.consented(ctx, v.UserID, readConsents); err != nil {
		return nil, "", err
	}
	txs, next, err := s.bank.Transactions(ctx, v.bankRef, after, limit) // the bank bounds the page
	if err != nil {
		s.log.WarnContext(ctx, "bank transactions", "err", err)
		return nil, "", apperr.New(apperr.CodeBankUnavailable, "the bank is not answering; try again shortly")
	}
	return txs, next, nil
}

func newApplicationID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "app_" + hex.EncodeToString(b)
}

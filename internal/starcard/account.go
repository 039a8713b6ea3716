package starcard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/bank"
	"github.com/tongxue/tongxue/internal/pii"
	"github.com/tongxue/tongxue/internal/privacy"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/vault"
)

// Accounts opens and shows star cards' Class II bank accounts (C2).
type Accounts struct {
	client *ent.Client
	ring   *vault.Keyring
	auth   *auth.Service
	bank   bank.Bank
	now    func() time.Time
	log    *slog.Logger
}

// NewAccounts returns the service.
func NewAccounts(client *ent.Client, ring *vault.Keyring, a *auth.Service, b bank.Bank, now func() time.Time, log *slog.Logger) *Accounts {
	return &Accounts{client: client, ring: ring, auth: a, bank: b, now: now, log: log}
}

func col(c string) string { return bankaccount.Table + "." + c }

// AccountView is an account opened for the graph (which masks it).
type AccountView struct {
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
func (v *AccountView) OwnerID() int { return v.UserID }

// ApplyInput is what the student sends.
type ApplyInput struct {
	Name, IDNumber, BoundCard string
	IDPhotoFront, IDPhotoBack []byte
	FaceData                  []byte
}

// WarnBoundCardChecksum is the warning for a bound card that fails the
// Luhn check: likely a typing error, but some cards do not use it.
const WarnBoundCardChecksum = "BOUND_CARD_CHECKSUM"

// Apply stores the application (sealed) first, then asks the partner bank
// with the application's id as idempotency key, then records the answer and
// the hand-over in the sharing ledger. A retry after a failure reuses the
// stored application: the bank never opens two accounts.
func (s *Accounts) Apply(ctx context.Context, v *auth.Viewer, in ApplyInput) (*AccountView, error) {
	u, err := s.client.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, err
	}
	phone, err := s.auth.Phone(u)
	if err != nil {
		return nil, err
	}
	app := bank.Normalize(bank.Application{Name: in.Name, IDNumber: in.IDNumber, Phone: phone,
		IDPhotoFront: in.IDPhotoFront, IDPhotoBack: in.IDPhotoBack, FaceData: in.FaceData, BoundCard: in.BoundCard})
	now := s.now()
	existing, err := s.client.BankAccount.Query().Where(bankaccount.UserID(v.UserID)).Only(ctx)
	switch {
	case err == nil && existing.Status != bankaccount.StatusREJECTED && existing.Status != bankaccount.StatusPENDING:
		return nil, apperr.New("CONFLICT", "you already have a star card account")
	case err == nil:
		app.ApplicationID = existing.ApplicationID
		if existing.Status == bankaccount.StatusREJECTED {
			app.ApplicationID = newApplicationID() // a new application after a refusal
		}
	case ent.IsNotFound(err):
		app.ApplicationID = newApplicationID()
	default:
		return nil, err
	}
	if err := bank.CheckApplication(app, now); err != nil {
		var ie *bank.InputError
		if errors.As(err, &ie) {
			if ae, ok := apperr.As(ie.Err); ok && ae.Code != apperr.CodeBadUserInput {
				return nil, ae // e.g. AGE_RESTRICTED from the ID number
			}
			return nil, ie.AppError()
		}
		return nil, err
	}
	var warnings []string
	if !bank.LuhnValid(app.BoundCard) {
		warnings = append(warnings, WarnBoundCardChecksum)
	}
	photos := append(append([]byte{}, app.IDPhotoFront...), app.IDPhotoBack...)
	seal := func(b []byte, c string) []byte { return s.ring.Seal(b, col(c)) }
	err = s.client.BankAccount.Create().SetUserID(v.UserID).SetApplicationID(app.ApplicationID).
		SetNameCipher(seal([]byte(app.Name), bankaccount.FieldNameCipher)).
		SetIDNumberCipher(seal([]byte(app.IDNumber), bankaccount.FieldIDNumberCipher)).
		SetIDPhotoCipher(seal(photos, bankaccount.FieldIDPhotoCipher)).
		SetFaceCipher(seal(app.FaceData, bankaccount.FieldFaceCipher)).
		SetBoundCardCipher(seal([]byte(app.BoundCard), bankaccount.FieldBoundCardCipher)).
		SetBank(s.bank.Name()).SetStatus(bankaccount.StatusPENDING).SetCreatedAt(now).
		OnConflictColumns(bankaccount.FieldUserID).UpdateNewValues().Exec(ctx)
	if err != nil {
		return nil, err
	}
	acct, err := s.bank.Open(ctx, app)
	if err != nil {
		var ie *bank.InputError
		if errors.As(err, &ie) {
			return nil, ie.AppError()
		}
		s.log.WarnContext(ctx, "bank open", "err", err)
		return nil, apperr.New("BANK_UNAVAILABLE", "the bank is not answering; your application is kept: try again shortly")
	}
	status := bankaccount.Status(acct.Status)
	if bankaccount.StatusValidator(status) != nil {
		status = bankaccount.StatusPENDING
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		upd := tx.BankAccount.Update().Where(bankaccount.UserID(v.UserID), bankaccount.ApplicationID(app.ApplicationID)).
			SetBankRef(acct.BankRef).SetStatus(status).SetReason(acct.Reason).SetUpdatedAt(now)
		if acct.AccountNumber != "" {
			upd.SetAccountNumberCipher(seal([]byte(acct.AccountNumber), bankaccount.FieldAccountNumberCipher))
		}
		if err := upd.Exec(ctx); err != nil {
			return err
		}
		return privacy.RecordSharing(ctx, tx, privacy.Sharing{
			UserID: v.UserID, Recipient: s.bank.Name() + " (合作金融机构)", RecipientContact: "the partner bank's customer service",
			Purpose: pii.ShareBank, Method: "HTTPS API (signed)",
			Categories: "姓名、身份证号、手机号、身份证件照片、人脸信息、银行卡信息", Reference: app.ApplicationID,
		}, now)
	})
	if err != nil {
		return nil, err
	}
	view := &AccountView{UserID: v.UserID, HolderName: app.Name, BoundCard: app.BoundCard, Status: status,
		Reason: acct.Reason, Warnings: warnings, bankRef: acct.BankRef}
	if acct.AccountNumber != "" {
		view.AccountNumber = &acct.AccountNumber
	}
	return view, nil
}

// Mine returns the viewer's account, or nil.
func (s *Accounts) Mine(ctx context.Context, userID int) (*AccountView, error) {
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
	v := &AccountView{UserID: userID, HolderName: string(name), BoundCard: string(card), Status: a.Status,
		Reason: a.Reason, bankRef: a.BankRef}
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

// Balance reads the account's balance at the bank.
func (s *Accounts) Balance(ctx context.Context, v *AccountView) (*bank.Balance, error) {
	if v.Status != bankaccount.StatusOPEN {
		return nil, nil
	}
	b, err := s.bank.Balance(ctx, v.bankRef)
	if err != nil {
		s.log.WarnContext(ctx, "bank balance", "err", err)
		return nil, apperr.New("BANK_UNAVAILABLE", "the bank is not answering; try again shortly")
	}
	return b, nil
}

// Transactions lists the account's transactions through the platform.
func (s *Accounts) Transactions(ctx context.Context, v *AccountView, after string, limit int) ([]bank.Transaction, string, error) {
	if v.Status != bankaccount.StatusOPEN {
		return nil, "", nil
	}
	txs, next, err := s.bank.Transactions(ctx, v.bankRef, after, min(max(limit, 1), bank.MaxPageSize))
	if err != nil {
		s.log.WarnContext(ctx, "bank transactions", "err", err)
		return nil, "", apperr.New("BANK_UNAVAILABLE", "the bank is not answering; try again shortly")
	}
	return txs, next, nil
}

func newApplicationID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "app_" + hex.EncodeToString(b)
}

// Package bank talks to the partner bank that opens the Class II bank
// account (二类户) behind a student's star card (星星卡): it sends the
// application, and reads the account's balance and the transactions made
// through the platform. HTTPClient speaks to the bank's open API; Sandbox is the
// development bank, which needs no network.
//
// Sending an application is sharing sensitive personal data with a third
// party: the name, the resident ID number, the phone number, both sides of
// the ID card, face data and a bank card number (purposes
// pii.ShareBank, pii.SensitiveID, pii.SensitiveFace and pii.SensitiveMoney).
// Callers must hold each of the student's separate consents before calling
// Open. Implementations send exactly the fields of Application and nothing
// else, and no error of this package contains the name, ID number, phone,
// card or account number, photos or face data. Application and Account
// format themselves masked (String, GoString), so logging one by mistake
// does not leak them either.
package bank

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/imageformat"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Application is a student's request for a Class II account.
type Application struct {
	// ApplicationID is the platform's id of this application and the
	// idempotency key: opening again with the same id returns the same
	// account. 6-64 ASCII letters, digits, '-' or '_'.
	ApplicationID string
	Name          string // legal name, as on the ID card
	IDNumber      string // 18-character resident ID number
	Phone         string // mainland mobile number, 11 digits
	IDPhotoFront  []byte // ID card, portrait side (人像面), JPEG or PNG
	IDPhotoBack   []byte // ID card, national emblem side (国徽面), JPEG or PNG
	FaceData      []byte // liveness/face image bytes from the app's face-verification SDK
	// BoundCard is the student's existing debit card (一类户), digits only
	// after Normalize, which funds the Class II account.
	BoundCard string
}

// String is a masked rendering: the application id and which data are
// present, never their values.
func (a Application) String() string {
	return fmt.Sprintf("bank.Application{ApplicationID: %q, Name: %s, IDNumber: %s, Phone: %s, "+
		"IDPhotoFront: %d bytes, IDPhotoBack: %d bytes, FaceData: %d bytes, BoundCard: %s}",
		a.ApplicationID, redacted(a.Name), redacted(a.IDNumber), redacted(a.Phone),
		len(a.IDPhotoFront), len(a.IDPhotoBack), len(a.FaceData), maskCard(a.BoundCard))
}

// GoString makes %#v as safe as %v.
func (a Application) GoString() string { return a.String() }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "***"
}

// Statuses of an account (Account.Status).
const (
	StatusOpen     = "OPEN"
	StatusPending  = "PENDING"  // the bank is still reviewing: ask again later with the same ApplicationID
	StatusRejected = "REJECTED" // see Account.Reason
	StatusFrozen   = "FROZEN"
	StatusClosed   = "CLOSED"
)

var statuses = map[string]bool{StatusOpen: true, StatusPending: true, StatusRejected: true, StatusFrozen: true, StatusClosed: true}

// Reasons of a rejection (Account.Reason). A bank may use others: any
// upper-case code is passed on.
const (
	ReasonRiskReview = "RISK_REVIEW"
	// ReasonUnknown stands for an empty or malformed reason from the bank.
	ReasonUnknown = "UNKNOWN"
)

// Account is the bank's answer to an application. A rejection is an
// account with StatusRejected, not an error.
type Account struct {
	BankRef       string // the bank's id of the account (of the application when rejected)
	AccountNumber string // the Class II account number, digits; empty unless opened
	Status        string // one of the Status constants
	Reason        string // a machine code when not open (always set when rejected)
}

// String masks the account number as the app shows it (package mask's
// bank card form: **** **** **** 1234).
func (a Account) String() string {
	return fmt.Sprintf("bank.Account{BankRef: %q, AccountNumber: %s, Status: %s, Reason: %s}",
		a.BankRef, maskCard(a.AccountNumber), a.Status, a.Reason)
}

// GoString makes %#v as safe as %v.
func (a Account) GoString() string { return a.String() }

// maskCard is mask.BankCard, with "" for an empty number.
func maskCard(s string) string {
	if s == "" {
		return `""`
	}
	return mask.BankCard(s)
}

// Balance of an account, in fen (1/100 yuan).
type Balance struct {
	AvailableFen int64 // what can be spent now
	LedgerFen    int64 // the book balance, holds included
	AsOf         time.Time
}

// Kinds of transaction (Transaction.Kind). A bank may add others: any
// upper-case code is passed on.
const (
	KindTopUp      = "TOPUP"      // money in from the bound card; positive
	KindPayment    = "PAYMENT"    // money out to a merchant; negative
	KindRefund     = "REFUND"     // money back from a merchant; positive
	KindWithdrawal = "WITHDRAWAL" // money out to the bound card; negative
)

// kindSign is the sign of a known kind's amount.
var kindSign = map[string]int64{KindTopUp: 1, KindPayment: -1, KindRefund: 1, KindWithdrawal: -1}

// Transaction is one movement of money on the account.
type Transaction struct {
	ID          string // the bank's id
	AmountFen   int64  // + credit, - debit; never 0
	Kind        string // one of the Kind constants, or another upper-case code
	Description string // the bank's text, shown to the account holder
	At          time.Time
}

// Page sizes of Transactions.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Bank opens Class II accounts and reads them. Implementations are safe for
// concurrent use.
type Bank interface {
	// Name identifies the bank in records.
	Name() string
	// Open applies for an account. It is idempotent on ApplicationID:
	// calling again (after a timeout, say) returns the same account and
	// never opens a second one. The application is normalised (Normalize)
	// and checked (CheckApplication) first; a malformed one gives an
	// *InputError and is not sent.
	Open(ctx context.Context, a Application) (*Account, error)
	// Balance reads the account's balance.
	Balance(ctx context.Context, bankRef string) (*Balance, error)
	// Transactions lists the account's transactions, newest first, limit
	// at a time (0 or less means DefaultPageSize; more than MaxPageSize is cut to
	// it). after is "" for the first page, then the next of the previous
	// page; next is "" after the last page. Cursors are opaque.
	Transactions(ctx context.Context, bankRef string, after string, limit int) (txs []Transaction, next string, err error)
	// Close tells the bank that the holder cancelled their platform
	// account, so the account (or an application still under review) is
	// closed; see close.go.
	Close(ctx context.Context, bankRef string) (*Account, error)
}

// ErrInvalidArgument is wrapped by the error of a call the caller should
// not have made (a malformed ApplicationID, bank ref or cursor): a
// programming error, not the student's. Nothing is sent then.
var ErrInvalidArgument = errors.New("bank: invalid argument")

// ErrBadResponse is wrapped by the error of an answer that cannot be
// trusted or read: unsigned or wrongly signed, stale, or not the expected
// JSON. It is not retried.
var ErrBadResponse = partner.ErrBadResponse

// ErrUnavailable is wrapped by the error of a call whose every attempt
// failed with a network error, a timeout or a 5xx answer. For Open the
// application's fate is then unknown: calling Open again with the same
// ApplicationID is safe.
var ErrUnavailable = partner.ErrGaveUp

// Error codes the protocol defines (partner.Error.Code of the bank's
// refusals, a non-200 answer); banks send others too.
const (
	CodeInvalidParam        = "INVALID_PARAM"
	CodeSignatureInvalid    = "SIGNATURE_INVALID"
	CodeAccountNotFound     = "ACCOUNT_NOT_FOUND"
	CodeAccountNotOpen      = "ACCOUNT_NOT_OPEN"
	CodeInvalidCursor       = "INVALID_CURSOR"
	CodeIdempotencyConflict = "IDEMPOTENCY_CONFLICT" // the ApplicationID was used with other data
	CodeInsufficientFunds   = "INSUFFICIENT_FUNDS"
	CodeSystemError         = "SYSTEM_ERROR"
)

// Limits of an application.
const (
	MaxNameRunes     = 50
	MaxPhotoBytes    = 5 << 20
	MaxFaceDataBytes = 2 << 20
	MinCardDigits    = 12
	MaxCardDigits    = 19
	// MinAge is the age from which a student may open an account alone.
	MinAge = 16
)

// Field names of InputError, as the graph's input would spell them.
const (
	FieldName         = "name"
	FieldIDNumber     = "idNumber"
	FieldPhone        = "phone"
	FieldIDPhotoFront = "idPhotoFront"
	FieldIDPhotoBack  = "idPhotoBack"
	FieldFaceData     = "faceData"
	FieldBoundCard    = "boundCard"
)

// InputError reports a malformed application: the field and the problem,
// never the value.
type InputError = apperr.InputError

// Normalize returns a with surrounding spaces trimmed from the name, the ID
// number normalised (idcard.Normalize), and spaces and dashes taken out of
// the phone and card numbers ("6222 0212 3456 7890 123"). It does not
// validate.
func Normalize(a Application) Application {
	a.Name = strings.TrimSpace(a.Name)
	a.IDNumber = idcard.Normalize(a.IDNumber)
	a.Phone = stripSeparators(a.Phone)
	a.BoundCard = stripSeparators(a.BoundCard)
	return a
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// CheckApplication validates the shape of a normalised application, in this
// order: a name of 1-50 printable characters; an ID number idcard.Validate
// accepts on now with a holder at least MinAge years old (idcard's error is
// kept as the cause); a mainland mobile number (11 digits, 1 then 3-9);
// both ID photos JPEG or PNG of at most MaxPhotoBytes; face data non-empty
// and at most MaxFaceDataBytes; a bound card of 12-19 digits. It returns
// the first problem as an *InputError. The card's Luhn check is not part of
// it: some genuine Chinese debit cards fail it, so the app only warns
// (LuhnValid). The ApplicationID is the platform's, not the student's, and
// is checked by Open.
func CheckApplication(a Application, now time.Time) error {
	return apperr.Scoped("bank account application", checkApplication(a, now))
}

func checkApplication(a Application, now time.Time) error {
	switch {
	case a.Name == "":
		return &InputError{Field: FieldName, Problem: "enter your name as on your ID card"}
	case !utf8.ValidString(a.Name):
		return &InputError{Field: FieldName, Problem: "the name is not valid text"}
	case utf8.RuneCountInString(a.Name) > MaxNameRunes:
		return &InputError{Field: FieldName, Problem: fmt.Sprintf("the name is longer than %d characters", MaxNameRunes)}
	case strings.IndexFunc(a.Name, func(c rune) bool { return !unicode.IsPrint(c) && c != ' ' }) >= 0:
		return &InputError{Field: FieldName, Problem: "the name contains characters that are not allowed"}
	}
	if a.IDNumber == "" {
		return &InputError{Field: FieldIDNumber, Problem: "enter your resident ID number"}
	}
	if _, err := idcard.Validate(a.IDNumber, now, MinAge); err != nil {
		return &InputError{Field: FieldIDNumber, Problem: err.Error(), Err: err}
	}
	if !validPhone(a.Phone) {
		return &InputError{Field: FieldPhone, Problem: "enter an 11-digit mainland China mobile number"}
	}
	for _, p := range []struct {
		field, side string
		b           []byte
	}{{FieldIDPhotoFront, "portrait side", a.IDPhotoFront}, {FieldIDPhotoBack, "national emblem side", a.IDPhotoBack}} {
		switch {
		case len(p.b) == 0:
			return &InputError{Field: p.field, Problem: "add a photo of the " + p.side + " of your ID card"}
		case len(p.b) > MaxPhotoBytes:
			return &InputError{Field: p.field, Problem: fmt.Sprintf("the photo of the %s of your ID card is larger than %d MB", p.side, MaxPhotoBytes>>20)}
		case imageformat.Detect(p.b) == "":
			return &InputError{Field: p.field, Problem: "the photo of the " + p.side + " of your ID card must be a JPEG or PNG image"}
		}
	}
	switch {
	case len(a.FaceData) == 0:
		return &InputError{Field: FieldFaceData, Problem: "complete the face verification first"}
	case len(a.FaceData) > MaxFaceDataBytes:
		return &InputError{Field: FieldFaceData, Problem: fmt.Sprintf("the face verification data is larger than %d MB", MaxFaceDataBytes>>20)}
	}
	if len(a.BoundCard) < MinCardDigits || len(a.BoundCard) > MaxCardDigits || !allDigits(a.BoundCard) {
		return &InputError{Field: FieldBoundCard, Problem: fmt.Sprintf("enter your debit card number: %d to %d digits", MinCardDigits, MaxCardDigits)}
	}
	return nil
}

// LuhnValid reports whether a card number passes the Luhn check (ISO/IEC
// 7812-1). ASCII spaces are tolerated anywhere and ignored, as card numbers
// are written in groups ("6222 0212 3456 7890 128"); any other character,
// or fewer than 2 digits, makes it false. The app warns on false and does
// not refuse: some genuine Chinese debit cards have no Luhn check digit.
func LuhnValid(card string) bool {
	sum, n := 0, 0
	for i := len(card) - 1; i >= 0; i-- {
		c := card[i]
		if c == ' ' {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if n%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 2 && sum%10 == 0
}

// validPhone reports a mainland mobile number in its 11-digit form.
func validPhone(s string) bool {
	n, err := phone.Normalize(s)
	return err == nil && n == s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkApplicationID keeps the id to characters that are safe in a header
// and in the bank's records.
func checkApplicationID(id string) error {
	if len(id) < 6 || len(id) > 64 {
		return fmt.Errorf("%w: the application id must be 6 to 64 letters, digits, '-' or '_'", ErrInvalidArgument)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("%w: the application id must be 6 to 64 letters, digits, '-' or '_'", ErrInvalidArgument)
		}
	}
	return nil
}

// validRef reports a bank ref usable as one path segment: 1-128 ASCII
// letters, digits, '-', '_', '.' or ':', starting with a letter or digit
// (so never "." or "..").
func validRef(s string) bool {
	if s == "" || len(s) > 128 || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func checkRef(ref string) error {
	if !validRef(ref) {
		return fmt.Errorf("%w: malformed bank ref", ErrInvalidArgument)
	}
	return nil
}

// validCode reports an upper-case machine code (reason, kind).
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// pageSize applies the defaults and bounds of Transactions' limit.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

var (
	_ Bank = (*HTTPClient)(nil)
	_ Bank = (*Sandbox)(nil)
)

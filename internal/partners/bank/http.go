package bank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Paths of the protocol, relative to HTTPConfig.BaseURL.
const (
	PathAccounts = "/v2/class2-accounts"
	// Balance is PathAccounts + "/{bank_ref}/balance", transactions
	// PathAccounts + "/{bank_ref}/transactions?after=…&limit=…".
)

// DefaultTimeout is per attempt. Opening uploads up to ~16 MB (photos and
// face data, base64) and the bank checks identity and face before
// answering, so it is longer than other clients'.
const DefaultTimeout = 20 * time.Second

// maxResponseBytes bounds what is read of an answer (a page of
// MaxPageSize transactions fits many times over).
const maxResponseBytes = 256 << 10

// maxCursorBytes bounds a cursor, ours and the bank's.
const maxCursorBytes = 512

// HTTPConfig configures the client of the bank's open API (see
// partner.Config): AppID is sent as X-Bank-App-Id, Secret is the
// HMAC-SHA256 key of requests and responses, Name identifies the bank in
// records (e.g. "partner-bank": an account record must say which bank holds
// the account), Timeout defaults to DefaultTimeout, and Now is also the
// clock of ID-number checks. Every attempt of an Open carries the same
// Idempotency-Key (the ApplicationID) and the same body, so the bank
// applies it once.
type HTTPConfig = partner.Config

// HTTPClient is the client of the bank's open API. JSON over HTTPS; every
// request carries X-Bank-App-Id, X-Bank-Timestamp (unix seconds),
// X-Bank-Nonce and X-Bank-Signature (see RequestSignature), and every
// answer must carry X-Bank-Timestamp, X-Bank-Nonce and X-Bank-Signature
// (see ResponseSignature), which are verified before the body is read.
//
//	POST {BaseURL}/v2/class2-accounts, Idempotency-Key: <application_id>
//	  {"application_id","name","id_number","phone","id_photo_front","id_photo_back","face_data","bound_card"}
//	  (bytes in standard base64)
//	  → 200 {"bank_ref","account_number","status","reason"}
//	GET {BaseURL}/v2/class2-accounts/{bank_ref}/balance
//	  → 200 {"available_fen","ledger_fen","as_of" (RFC 3339)}
//	GET {BaseURL}/v2/class2-accounts/{bank_ref}/transactions?after=<cursor>&limit=<n>
//	  → 200 {"transactions":[{"id","amount_fen","kind","description","at"}],"next"}
//	errors: 3xx/4xx/5xx {"error":{"code","message"}}, a *partner.Error
type HTTPClient struct{ c *partner.Client }

// NewHTTP checks cfg and returns a client. Its errors never show the secret.
func NewHTTP(cfg HTTPConfig) (*HTTPClient, error) {
	c, err := partner.New(cfg, partner.Protocol{
		Partner: "bank", UserAgent: "tongxue-bank/1", DefaultTimeout: DefaultTimeout,
		MaxAnswerBytes: maxResponseBytes, Signer: signer{appID: cfg.AppID, secret: []byte(cfg.Secret)},
	})
	if err != nil {
		return nil, err
	}
	return &HTTPClient{c}, nil
}

// Name is HTTPConfig.Name.
func (c *HTTPClient) Name() string { return c.c.Name() }

// wireOpen is the body of an application: exactly these fields.
type wireOpen struct {
	ApplicationID string `json:"application_id"`
	Name          string `json:"name"`
	IDNumber      string `json:"id_number"`
	Phone         string `json:"phone"`
	IDPhotoFront  []byte `json:"id_photo_front"` // standard base64
	IDPhotoBack   []byte `json:"id_photo_back"`
	FaceData      []byte `json:"face_data"`
	BoundCard     string `json:"bound_card"`
}

type wireAccount struct {
	BankRef       string `json:"bank_ref"`
	AccountNumber string `json:"account_number"`
	Status        string `json:"status"`
	Reason        string `json:"reason"`
}

type wireBalance struct {
	AvailableFen *int64  `json:"available_fen"`
	LedgerFen    *int64  `json:"ledger_fen"`
	AsOf         *string `json:"as_of"`
}

type wireTransactions struct {
	// Raw, to tell a missing list (malformed) from null (empty, as many
	// JSON encoders write an empty list).
	Transactions json.RawMessage `json:"transactions"`
	Next         string          `json:"next"`
}

type wireTransaction struct {
	ID          string `json:"id"`
	AmountFen   *int64 `json:"amount_fen"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	At          string `json:"at"`
}

// Open normalises and checks a (an *InputError, or ErrInvalidArgument for
// a malformed ApplicationID, is returned without any call), then posts it,
// retrying as HTTPConfig says with the ApplicationID as Idempotency-Key.
// A rejection is an Account with StatusRejected, not an error.
func (c *HTTPClient) Open(ctx context.Context, a Application) (*Account, error) {
	const op = "open account"
	if err := ctx.Err(); err != nil {
		return nil, c.c.Fail(op, err)
	}
	if err := checkApplicationID(a.ApplicationID); err != nil {
		return nil, c.c.Fail(op, err)
	}
	a = Normalize(a)
	if err := CheckApplication(a, c.c.Now()); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wireOpen{
		ApplicationID: a.ApplicationID, Name: a.Name, IDNumber: a.IDNumber, Phone: a.Phone,
		IDPhotoFront: a.IDPhotoFront, IDPhotoBack: a.IDPhotoBack, FaceData: a.FaceData, BoundCard: a.BoundCard,
	})
	if err != nil {
		return nil, c.c.Fail(op, errors.New("the application cannot be encoded"))
	}
	data, err := c.c.Do(ctx, partner.Call{Op: op, Method: http.MethodPost, Target: PathAccounts, Body: body,
		Header: http.Header{HeaderIdempotencyKey: {a.ApplicationID}}, Personal: personal(a)})
	if err != nil {
		return nil, err
	}
	acct, err := decodeAccount(data)
	if err != nil {
		return nil, c.c.Fail(op, err)
	}
	return acct, nil
}

// Balance reads the balance of the account bankRef.
func (c *HTTPClient) Balance(ctx context.Context, bankRef string) (*Balance, error) {
	const op = "read balance"
	if err := ctx.Err(); err != nil {
		return nil, c.c.Fail(op, err)
	}
	if err := checkRef(bankRef); err != nil {
		return nil, c.c.Fail(op, err)
	}
	data, err := c.c.Do(ctx, partner.Call{Op: op, Method: http.MethodGet, Target: PathAccounts + "/" + url.PathEscape(bankRef) + "/balance"})
	if err != nil {
		return nil, err
	}
	b, err := decodeBalance(data)
	if err != nil {
		return nil, c.c.Fail(op, err)
	}
	return b, nil
}

// Transactions reads one page of the account's transactions; see Bank.
func (c *HTTPClient) Transactions(ctx context.Context, bankRef string, after string, limit int) ([]Transaction, string, error) {
	const op = "list transactions"
	if err := ctx.Err(); err != nil {
		return nil, "", c.c.Fail(op, err)
	}
	if err := checkRef(bankRef); err != nil {
		return nil, "", c.c.Fail(op, err)
	}
	if !validCursor(after) {
		return nil, "", c.c.Fail(op, fmt.Errorf("%w: malformed cursor", ErrInvalidArgument))
	}
	limit = pageSize(limit)
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	target := PathAccounts + "/" + url.PathEscape(bankRef) + "/transactions?" + q.Encode()
	data, err := c.c.Do(ctx, partner.Call{Op: op, Method: http.MethodGet, Target: target})
	if err != nil {
		return nil, "", err
	}
	txs, next, err := decodeTransactions(data, limit)
	if err != nil {
		return nil, "", c.c.Fail(op, err)
	}
	return txs, next, nil
}

// personal lists a's values that must never appear in an error.
func personal(a Application) []string {
	v := []string{a.Name, a.IDNumber, strings.TrimSuffix(a.IDNumber, "X"), a.Phone, a.BoundCard}
	// Parts of the name too: a message may quote the given name alone.
	r := []rune(a.Name)
	for n := len(r) - 1; n >= 2; n-- {
		for i := 0; i+n <= len(r); i++ {
			v = append(v, string(r[i:i+n]))
		}
	}
	return v
}

// decodeAccount reads the answer to an application. Its errors say what is
// wrong, never what the answer held.
func decodeAccount(data []byte) (*Account, error) {
	var w wireAccount
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, bad("not a JSON object of the expected shape")
	}
	if !statuses[w.Status] {
		// An unknown status cannot be shown as opened or not.
		return nil, bad(`"status" is not a known account status`)
	}
	a := &Account{BankRef: w.BankRef, Status: w.Status}
	if w.BankRef != "" || w.Status != StatusRejected {
		if !validRef(w.BankRef) {
			return nil, bad(`"bank_ref" is missing or malformed`)
		}
	}
	switch w.Status {
	case StatusOpen, StatusFrozen, StatusClosed:
		if !validAccountNumber(w.AccountNumber) {
			return nil, bad(`"account_number" is missing or not 12-32 digits`)
		}
		a.AccountNumber = w.AccountNumber
	case StatusPending:
		if w.AccountNumber != "" && !validAccountNumber(w.AccountNumber) {
			return nil, bad(`"account_number" is not 12-32 digits`)
		}
		a.AccountNumber = w.AccountNumber
	}
	if w.Status != StatusOpen {
		switch {
		case validCode(w.Reason):
			a.Reason = w.Reason
		case w.Status == StatusRejected:
			a.Reason = ReasonUnknown
		}
	}
	return a, nil
}

func validAccountNumber(s string) bool { return len(s) >= 12 && len(s) <= 32 && allDigits(s) }

func decodeBalance(data []byte) (*Balance, error) {
	var w wireBalance
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, bad("not a JSON object of the expected shape")
	}
	if w.AvailableFen == nil || w.LedgerFen == nil || w.AsOf == nil {
		return nil, bad(`"available_fen", "ledger_fen" or "as_of" is missing`)
	}
	at, err := time.Parse(time.RFC3339, *w.AsOf)
	if err != nil {
		return nil, bad(`"as_of" is not an RFC 3339 time`)
	}
	return &Balance{AvailableFen: *w.AvailableFen, LedgerFen: *w.LedgerFen, AsOf: at}, nil
}

func decodeTransactions(data []byte, limit int) ([]Transaction, string, error) {
	var w wireTransactions
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, "", bad("not a JSON object of the expected shape")
	}
	if w.Transactions == nil {
		return nil, "", bad(`"transactions" is missing`)
	}
	var list []wireTransaction
	if err := json.Unmarshal(w.Transactions, &list); err != nil {
		return nil, "", bad(`"transactions" is not a list of transactions`)
	}
	if len(list) > limit {
		return nil, "", bad("more transactions than the limit")
	}
	if !validCursor(w.Next) {
		return nil, "", bad(`"next" is not a usable cursor`)
	}
	txs := make([]Transaction, 0, len(list))
	for _, t := range list {
		if t.ID == "" || len(t.ID) > 128 || strings.IndexFunc(t.ID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return nil, "", bad(`a transaction's "id" is missing or not printable ASCII`)
		}
		if t.AmountFen == nil || *t.AmountFen == 0 {
			return nil, "", bad(`a transaction's "amount_fen" is missing or zero`)
		}
		if !validCode(t.Kind) {
			return nil, "", bad(`a transaction's "kind" is not an upper-case code`)
		}
		if s, known := kindSign[t.Kind]; known && s*(*t.AmountFen) < 0 {
			return nil, "", bad(`a transaction's "amount_fen" has the wrong sign for its kind`)
		}
		at, err := time.Parse(time.RFC3339, t.At)
		if err != nil {
			return nil, "", bad(`a transaction's "at" is not an RFC 3339 time`)
		}
		txs = append(txs, Transaction{ID: t.ID, AmountFen: *t.AmountFen, Kind: t.Kind, Description: cleanText(t.Description, maxDescriptionRunes), At: at})
	}
	return txs, w.Next, nil
}

const maxDescriptionRunes = 200

func bad(what string) error { return fmt.Errorf("%w: %s", ErrBadResponse, what) }

// validCursor reports "" or up to maxCursorBytes of printable ASCII
// without spaces.
func validCursor(s string) bool {
	return len(s) <= maxCursorBytes && strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) < 0
}

// cleanText makes s valid UTF-8 without control characters, at most max
// runes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strings.TrimSpace(s)
}

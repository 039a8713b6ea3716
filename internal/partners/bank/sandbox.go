package bank

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// SandboxRejectName is the name with which the sandbox rejects an
// application (StatusRejected, ReasonRiskReview).
const SandboxRejectName = "拒绝"

// Sandbox is the development bank: it reaches no network and keeps its
// accounts in memory. Applications are normalised and checked as the real
// client does, then opened at once with a 19-digit account number starting
// 6217 that passes the Luhn check, unless the name is SandboxRejectName.
// Refs and account numbers are derived from the ApplicationID alone (no
// personal data), so they are the same in every run. Balances start at 0
// and move only by Credit. Safe for concurrent use; the zero value is
// usable too.
type Sandbox struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	byApp   map[string]*sandboxAccount
	byRef   map[string]*sandboxAccount
	numbers map[string]bool
	txSeq   uint64
}

type sandboxAccount struct {
	fingerprint [sha256.Size]byte // of the application, for idempotency conflicts
	acct        Account
	balance     int64
	txs         []Transaction // oldest first
}

// NewSandbox returns an empty sandbox bank.
func NewSandbox() *Sandbox { return &Sandbox{} }

// Name is "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

func (s *Sandbox) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// init makes the maps; s.mu is held.
func (s *Sandbox) init() {
	if s.byApp == nil {
		s.byApp = map[string]*sandboxAccount{}
		s.byRef = map[string]*sandboxAccount{}
		s.numbers = map[string]bool{}
	}
}

// Open opens (or, for SandboxRejectName, rejects) an account. Opening again
// with the same ApplicationID returns the same account; with the same id
// but other data it answers 409 IDEMPOTENCY_CONFLICT, as a bank does.
func (s *Sandbox) Open(ctx context.Context, a Application) (*Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bank sandbox: open account: %w", err)
	}
	if err := checkApplicationID(a.ApplicationID); err != nil {
		return nil, fmt.Errorf("bank sandbox: open account: %w", err)
	}
	a = Normalize(a)
	if err := CheckApplication(a, s.now()); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wireOpen{
		ApplicationID: a.ApplicationID, Name: a.Name, IDNumber: a.IDNumber, Phone: a.Phone,
		IDPhotoFront: a.IDPhotoFront, IDPhotoBack: a.IDPhotoBack, FaceData: a.FaceData, BoundCard: a.BoundCard,
	})
	if err != nil {
		return nil, fmt.Errorf("bank sandbox: open account: the application cannot be encoded")
	}
	fp := sha256.Sum256(body)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if sa, ok := s.byApp[a.ApplicationID]; ok {
		if sa.fingerprint != fp {
			return nil, fmt.Errorf("bank sandbox: open account: %w", refusal(409, CodeIdempotencyConflict, "the application id was already used with other data"))
		}
		acct := sa.acct
		return &acct, nil
	}
	sa := &sandboxAccount{fingerprint: fp}
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte("tongxue sandbox bank\n" + a.ApplicationID + "\n" + strconv.Itoa(i)))
		ref := "sbx-" + hex.EncodeToString(h[:8])
		number := sandboxAccountNumber(h[8:16])
		if s.byRef[ref] == nil && !s.numbers[number] {
			sa.acct = Account{BankRef: ref, AccountNumber: number, Status: StatusOpen}
			break
		}
	}
	if a.Name == SandboxRejectName {
		sa.acct.AccountNumber, sa.acct.Status, sa.acct.Reason = "", StatusRejected, ReasonRiskReview
	} else {
		s.numbers[sa.acct.AccountNumber] = true
	}
	s.byApp[a.ApplicationID] = sa
	s.byRef[sa.acct.BankRef] = sa
	acct := sa.acct
	return &acct, nil
}

// sandboxAccountNumber is "6217", 14 digits from b and a Luhn check digit.
func sandboxAccountNumber(b []byte) string {
	payload := fmt.Sprintf("6217%014d", binary.BigEndian.Uint64(b)%100_000_000_000_000)
	return payload + string(luhnCheckDigit(payload))
}

// luhnCheckDigit is the digit that makes payload+digit pass the Luhn check.
func luhnCheckDigit(payload string) byte {
	sum := 0
	for i := 0; i < len(payload); i++ {
		d := int(payload[len(payload)-1-i] - '0')
		if i%2 == 0 { // doubled: the check digit will be to its right
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// account finds an open account; s.mu is held.
func (s *Sandbox) account(op, bankRef string) (*sandboxAccount, error) {
	if err := checkRef(bankRef); err != nil {
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, err)
	}
	s.init()
	sa := s.byRef[bankRef]
	switch {
	case sa == nil:
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, refusal(404, CodeAccountNotFound, "no such account"))
	case sa.acct.Status != StatusOpen:
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, refusal(409, CodeAccountNotOpen, "the account is not open"))
	}
	return sa, nil
}

// Balance is the sum of the account's transactions, available and ledger
// alike, as of now.
func (s *Sandbox) Balance(ctx context.Context, bankRef string) (*Balance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bank sandbox: read balance: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, err := s.account("read balance", bankRef)
	if err != nil {
		return nil, err
	}
	return &Balance{AvailableFen: sa.balance, LedgerFen: sa.balance, AsOf: s.now()}, nil
}

// Credit records a transaction on an open account, for demos and tests:
// amountFen is signed (+ credit, - debit) and must match kind's sign for
// the known kinds; kind may be another upper-case code. The balance may not
// go below zero (409 INSUFFICIENT_FUNDS). The transaction is dated now.
func (s *Sandbox) Credit(bankRef string, amountFen int64, kind, desc string) (Transaction, error) {
	const op = "credit"
	if amountFen == 0 {
		return Transaction{}, fmt.Errorf("bank sandbox: %s: %w: the amount is zero", op, ErrInvalidArgument)
	}
	if !validCode(kind) {
		return Transaction{}, fmt.Errorf("bank sandbox: %s: %w: the kind is not an upper-case code", op, ErrInvalidArgument)
	}
	if sign, known := kindSign[kind]; known && sign*amountFen < 0 {
		return Transaction{}, fmt.Errorf("bank sandbox: %s: %w: a %s amount must be %s", op, ErrInvalidArgument, kind,
			map[int64]string{1: "positive", -1: "negative"}[sign])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, err := s.account(op, bankRef)
	if err != nil {
		return Transaction{}, err
	}
	if amountFen > 0 && sa.balance > math.MaxInt64-amountFen {
		return Transaction{}, fmt.Errorf("bank sandbox: %s: %w: the balance would overflow", op, ErrInvalidArgument)
	}
	if sa.balance+amountFen < 0 {
		return Transaction{}, fmt.Errorf("bank sandbox: %s: %w", op, refusal(409, CodeInsufficientFunds, "the balance is too low"))
	}
	s.txSeq++
	tx := Transaction{
		ID:          fmt.Sprintf("sbx-tx-%08d", s.txSeq),
		AmountFen:   amountFen,
		Kind:        kind,
		Description: cleanText(desc, maxDescriptionRunes),
		At:          s.now(),
	}
	sa.balance += amountFen
	sa.txs = append(sa.txs, tx)
	return tx, nil
}

// Transactions pages the account's transactions, newest first. The cursor
// is opaque to callers; it names a position that transactions recorded
// later do not move, and is refused (400 INVALID_CURSOR) on another
// account.
func (s *Sandbox) Transactions(ctx context.Context, bankRef string, after string, limit int) ([]Transaction, string, error) {
	const op = "list transactions"
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("bank sandbox: %s: %w", op, err)
	}
	limit = pageSize(limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, err := s.account(op, bankRef)
	if err != nil {
		return nil, "", err
	}
	end := len(sa.txs) // the page holds sa.txs[start:end], newest first
	if after != "" {
		k, ok := decodeSandboxCursor(after, bankRef)
		if !ok || k < 1 || k > len(sa.txs) {
			return nil, "", fmt.Errorf("bank sandbox: %s: %w", op, refusal(400, CodeInvalidCursor, "the cursor is not one of this account's"))
		}
		end = k
	}
	start := max(end-limit, 0)
	txs := make([]Transaction, 0, end-start)
	for i := end - 1; i >= start; i-- {
		txs = append(txs, sa.txs[i])
	}
	next := ""
	if start > 0 {
		next = encodeSandboxCursor(bankRef, start)
	}
	return txs, next, nil
}

const sandboxCursorPrefix = "sbx1|"

func encodeSandboxCursor(ref string, k int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sandboxCursorPrefix + ref + "|" + strconv.Itoa(k)))
}

func decodeSandboxCursor(c, ref string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), sandboxCursorPrefix+ref+"|")
	if !ok {
		return 0, false
	}
	k, err := strconv.Atoi(rest)
	return k, err == nil
}

// refusal is the sandbox's answer of status: what the bank's API answers
// in the same case.
func refusal(status int, code, message string) *partner.Error {
	return &partner.Error{Partner: "bank", Status: status, Code: code, Message: message, Retryable: status >= 500}
}

package bank_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

func newSandbox() *bank.Sandbox {
	s := bank.NewSandbox()
	s.Now = func() time.Time { return checkNow }
	return s
}

func application(id string) bank.Application {
	a := validApplication()
	a.ApplicationID = id
	return a
}

func TestSandboxOpens(t *testing.T) {
	s := newSandbox()
	acct, err := s.Open(context.Background(), validApplication())
	if err != nil {
		t.Fatal(err)
	}
	n := acct.AccountNumber
	if acct.Status != bank.StatusOpen || acct.Reason != "" || acct.BankRef == "" {
		t.Fatalf("Open = %+v", acct)
	}
	if len(n) != 19 || !strings.HasPrefix(n, "6217") || strings.Trim(n, "0123456789") != "" || !bank.LuhnValid(n) {
		t.Fatalf("account number %q: want 19 digits, 6217…, passing Luhn", n)
	}
	if s.Name() != "sandbox" {
		t.Fatalf("Name = %q", s.Name())
	}
	// Deterministic: another sandbox gives the same account for the same id.
	again, err := newSandbox().Open(context.Background(), validApplication())
	if err != nil || *again != *acct {
		t.Fatalf("another sandbox: %+v, %v; want %+v", again, err, acct)
	}
	// The refs derive from the application id, not from personal data.
	assertNoPersonalData(t, acct.BankRef)
}

func TestSandboxIsIdempotent(t *testing.T) {
	s := newSandbox()
	first, err := s.Open(context.Background(), validApplication())
	if err != nil {
		t.Fatal(err)
	}
	// The same application again, even written differently.
	a := validApplication()
	a.BoundCard = "6222 0212 3456 7890 128"
	again, err := s.Open(context.Background(), a)
	if err != nil || *again != *first {
		t.Fatalf("Open again = %+v, %v; want %+v", again, err, first)
	}
	other, err := s.Open(context.Background(), application("APP-2026-000002"))
	if err != nil || other.BankRef == first.BankRef || other.AccountNumber == first.AccountNumber {
		t.Fatalf("another application = %+v, %v; want another account", other, err)
	}
	// The same id with other data is a conflict, as at a bank.
	a = validApplication()
	a.Phone = "13900000000"
	_, err = s.Open(context.Background(), a)
	var be *partner.Error
	if !errors.As(err, &be) || be.Status != 409 || be.Code != bank.CodeIdempotencyConflict {
		t.Fatalf("Open with other data = %v; want 409 IDEMPOTENCY_CONFLICT", err)
	}
	assertErrNoPersonalData(t, err, "13900000000")
}

func TestSandboxRejects(t *testing.T) {
	s := newSandbox()
	a := validApplication()
	a.Name = bank.SandboxRejectName
	acct, err := s.Open(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Status != bank.StatusRejected || acct.Reason != bank.ReasonRiskReview || acct.AccountNumber != "" || acct.BankRef == "" {
		t.Fatalf("Open = %+v; want REJECTED, RISK_REVIEW, no account number", acct)
	}
	if again, err := s.Open(context.Background(), a); err != nil || *again != *acct {
		t.Fatalf("Open again = %+v, %v", again, err)
	}
	var be *partner.Error
	if _, err := s.Balance(context.Background(), acct.BankRef); !errors.As(err, &be) || be.Code != bank.CodeAccountNotOpen {
		t.Fatalf("Balance of a rejected application = %v; want ACCOUNT_NOT_OPEN", err)
	}
	if _, err := s.Credit(acct.BankRef, 100, bank.KindTopUp, "x"); !errors.As(err, &be) || be.Code != bank.CodeAccountNotOpen {
		t.Fatalf("Credit = %v", err)
	}
	if _, _, err := s.Transactions(context.Background(), acct.BankRef, "", 0); !errors.As(err, &be) || be.Code != bank.CodeAccountNotOpen {
		t.Fatalf("Transactions = %v", err)
	}
}

func TestSandboxChecksInput(t *testing.T) {
	s := newSandbox()
	a := validApplication()
	a.IDPhotoBack = []byte("not an image")
	_, err := s.Open(context.Background(), a)
	var ie *bank.InputError
	if !errors.As(err, &ie) || ie.Field != bank.FieldIDPhotoBack {
		t.Fatalf("Open = %v; want an InputError about idPhotoBack", err)
	}
	assertErrNoPersonalData(t, err)
	if _, err := s.Open(context.Background(), application("bad id!")); !errors.Is(err, bank.ErrInvalidArgument) {
		t.Fatalf("Open = %v; want ErrInvalidArgument", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Open(ctx, validApplication()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open = %v; want context.Canceled", err)
	}
	var be *partner.Error
	if _, err := s.Balance(context.Background(), "sbx-0000000000000000"); !errors.As(err, &be) || be.Status != 404 {
		t.Fatalf("Balance of an unknown ref = %v; want 404", err)
	}
	if _, err := s.Balance(context.Background(), "../x"); !errors.Is(err, bank.ErrInvalidArgument) {
		t.Fatalf("Balance = %v; want ErrInvalidArgument", err)
	}
}

func TestSandboxCreditAndBalance(t *testing.T) {
	s := newSandbox()
	acct, err := s.Open(context.Background(), validApplication())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Balance(context.Background(), acct.BankRef)
	if err != nil || b.AvailableFen != 0 || b.LedgerFen != 0 || !b.AsOf.Equal(checkNow) {
		t.Fatalf("Balance = %+v, %v; want 0 as of now", b, err)
	}
	for _, c := range []struct {
		amount int64
		kind   string
	}{{10000, bank.KindTopUp}, {-2500, bank.KindPayment}, {500, bank.KindRefund}, {-1000, bank.KindWithdrawal}, {1, "INTEREST"}} {
		tx, err := s.Credit(acct.BankRef, c.amount, c.kind, "demo")
		if err != nil || tx.AmountFen != c.amount || tx.Kind != c.kind || tx.ID == "" || !tx.At.Equal(checkNow) {
			t.Fatalf("Credit(%d, %s) = %+v, %v", c.amount, c.kind, tx, err)
		}
	}
	if b, _ := s.Balance(context.Background(), acct.BankRef); b.AvailableFen != 7001 || b.LedgerFen != 7001 {
		t.Fatalf("Balance = %+v; want 7001", b)
	}
	var be *partner.Error
	if _, err := s.Credit(acct.BankRef, -7002, bank.KindPayment, "too much"); !errors.As(err, &be) || be.Code != bank.CodeInsufficientFunds {
		t.Fatalf("overdraft: %v; want INSUFFICIENT_FUNDS", err)
	}
	for _, c := range []struct {
		amount int64
		kind   string
	}{{0, bank.KindTopUp}, {-1, bank.KindTopUp}, {1, bank.KindPayment}, {-1, bank.KindRefund}, {1, bank.KindWithdrawal}, {1, "topup"}, {1, ""}} {
		if _, err := s.Credit(acct.BankRef, c.amount, c.kind, "x"); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Credit(%d, %q) = %v; want ErrInvalidArgument", c.amount, c.kind, err)
		}
	}
	if _, err := s.Credit("sbx-unknown", 1, bank.KindTopUp, "x"); !errors.As(err, &be) || be.Code != bank.CodeAccountNotFound {
		t.Fatalf("Credit on unknown ref = %v", err)
	}
	if b, _ := s.Balance(context.Background(), acct.BankRef); b.AvailableFen != 7001 {
		t.Fatalf("refused credits changed the balance: %+v", b)
	}
}

func TestSandboxPaging(t *testing.T) {
	s := newSandbox()
	acct, _ := s.Open(context.Background(), validApplication())
	other, _ := s.Open(context.Background(), application("APP-2026-000002"))
	for i := range 25 {
		if _, err := s.Credit(acct.BankRef, int64(i+1), bank.KindTopUp, fmt.Sprintf("top-up %d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	var all []bank.Transaction
	var pages []int
	after := ""
	for range 10 {
		txs, next, err := s.Transactions(context.Background(), acct.BankRef, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, txs...)
		pages = append(pages, len(txs))
		if len(pages) == 1 {
			// Recorded while paging: not in this listing's later pages,
			// which stay where they were.
			if _, err := s.Credit(acct.BankRef, 1000, bank.KindTopUp, "late"); err != nil {
				t.Fatal(err)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(pages) != "[10 10 5]" {
		t.Fatalf("pages %v; want [10 10 5]", pages)
	}
	seen := map[string]bool{}
	for i, tx := range all {
		if tx.AmountFen != int64(25-i) || tx.Description != fmt.Sprintf("top-up %d", 25-i) || seen[tx.ID] {
			t.Fatalf("transaction %d = %+v; want newest first, each once", i, tx)
		}
		seen[tx.ID] = true
	}
	// A fresh listing starts with the late one; 0 is the default page size.
	txs, next, err := s.Transactions(context.Background(), acct.BankRef, "", 0)
	if err != nil || len(txs) != bank.DefaultPageSize || txs[0].AmountFen != 1000 || next == "" {
		t.Fatalf("first page = %d transactions, next %q, %v", len(txs), next, err)
	}
	if txs, _, _ := s.Transactions(context.Background(), acct.BankRef, "", 1000); len(txs) != 26 {
		t.Fatalf("a page of 1000 (cut to %d) = %d transactions", bank.MaxPageSize, len(txs))
	}
	// Cursors are bound to their account and refused when forged.
	var be *partner.Error
	for _, cur := range []string{next, "garbage", "c10", strings.Repeat("A", 40)} {
		if _, _, err := s.Transactions(context.Background(), other.BankRef, cur, 10); !errors.As(err, &be) || be.Code != bank.CodeInvalidCursor {
			t.Errorf("cursor %q on another account = %v; want INVALID_CURSOR", cur, err)
		}
	}
	// An account without transactions has one empty page.
	if txs, next, err := s.Transactions(context.Background(), other.BankRef, "", 10); err != nil || len(txs) != 0 || next != "" {
		t.Fatalf("empty account: %v, %q, %v", txs, next, err)
	}
}

func TestSandboxConcurrency(t *testing.T) {
	s := bank.NewSandbox() // the real clock, and the zero-config path
	var wg sync.WaitGroup
	refs := make([]string, 20)
	// 20 applications, each opened 5 times at once.
	var mu sync.Mutex
	byID := map[string]map[bank.Account]bool{}
	for i := range 20 {
		for range 5 {
			wg.Go(func() {
				id := fmt.Sprintf("APP-CONC-%03d", i)
				acct, err := s.Open(context.Background(), application(id))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if byID[id] == nil {
					byID[id] = map[bank.Account]bool{}
				}
				byID[id][*acct] = true
				refs[i] = acct.BankRef
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	numbers := map[string]bool{}
	for id, accts := range byID {
		if len(accts) != 1 {
			t.Fatalf("%s opened as %d different accounts", id, len(accts))
		}
		for a := range accts {
			numbers[a.AccountNumber] = true
		}
	}
	if len(byID) != 20 || len(numbers) != 20 {
		t.Fatalf("%d applications, %d account numbers; want 20 of each", len(byID), len(numbers))
	}
	// Credits, balances and listings at once.
	for _, ref := range refs {
		for range 10 {
			wg.Go(func() {
				if _, err := s.Credit(ref, 100, bank.KindTopUp, "top-up"); err != nil {
					t.Error(err)
				}
				if _, err := s.Balance(context.Background(), ref); err != nil {
					t.Error(err)
				}
				if _, _, err := s.Transactions(context.Background(), ref, "", 3); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, ref := range refs {
		b, err := s.Balance(context.Background(), ref)
		if err != nil || b.AvailableFen != 1000 {
			t.Fatalf("Balance(%s) = %+v, %v; want 1000", ref, b, err)
		}
		txs, _, _ := s.Transactions(context.Background(), ref, "", bank.MaxPageSize)
		ids := map[string]bool{}
		for _, tx := range txs {
			ids[tx.ID] = true
		}
		if len(txs) != 10 || len(ids) != 10 {
			t.Fatalf("%s: %d transactions, %d ids; want 10", ref, len(txs), len(ids))
		}
	}
}

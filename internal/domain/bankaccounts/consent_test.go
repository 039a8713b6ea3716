package bankaccounts_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/bankaccounts"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

// countingBank is the sandbox bank, counting the reads it is asked for.
type countingBank struct {
	bank.Bank
	open, balance, transactions atomic.Int64
}

func (c *countingBank) Open(ctx context.Context, a bank.Application) (*bank.Account, error) {
	c.open.Add(1)
	return c.Bank.Open(ctx, a)
}

func (c *countingBank) Balance(ctx context.Context, ref string) (*bank.Balance, error) {
	c.balance.Add(1)
	return c.Bank.Balance(ctx, ref)
}

func (c *countingBank) Transactions(ctx context.Context, ref, after string, limit int) ([]bank.Transaction, string, error) {
	c.transactions.Add(1)
	return c.Bank.Transactions(ctx, ref, after, limit)
}

// C2 under the consent: once SENSITIVE_FINANCIAL is withdrawn, the balance
// and the transactions are not fetched from the bank at all, on any path
// (a query over HTTP, one over an open socket, a call without a request's
// viewer), and the answer is CONSENT_REQUIRED. Granting again resumes.
// Opening is held to its four consents in the domain code alike.
func TestBankReadsStopWhenFinancialConsentIsWithdrawn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		counting := &countingBank{}
		e := apitest.New(t, db, apitest.Options{Bank: func(s *bank.Sandbox) bank.Bank { counting.Bank = s; return counting }})
		tok := e.Login(t, student)
		jpeg := testdb.Photo()
		in := bankaccounts.ApplyInput{Name: "李华", IDNumber: idcard.Make("110108", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 42),
			BoundCard: "6222021234567890128", IDPhotoFront: jpeg, IDPhotoBack: jpeg, FaceData: []byte("face")}
		if _, err := e.Services.BankAccounts.Apply(t.Context(), &auth.Viewer{UserID: e.UserID(t, student)}, in); apperr.CodeOf(err) != "CONSENT_REQUIRED" ||
			counting.open.Load() != 0 || db.Client.BankAccount.Query().CountX(t.Context()) != 0 {
			t.Fatalf("opened without the consents: %v, %d calls", err, counting.open.Load())
		}
		e.Grant(t, tok, "SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")
		e.Upload(t, tok, `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { status } }`,
			map[string]any{"in": map[string]any{"name": "李华", "boundCard": "6222021234567890128",
				"idNumber":     idcard.Make("110108", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 42),
				"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}},
			map[string][]byte{"variables.in.idPhotoFront": jpeg, "variables.in.idPhotoBack": jpeg, "variables.in.faceData": []byte("face")})
		if _, err := e.Bank.Credit(db.Client.BankAccount.Query().OnlyX(t.Context()).BankRef, 4200, bank.KindTopUp, "充值"); err != nil {
			t.Fatal(err)
		}
		balance := `{ myBankAccount { status balance { availableFen } } }`
		txs := `{ myBankAccount { status transactions(first: 5) { items { amountFen } } } }`
		if r := e.Post(t, tok, balance, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"availableFen":4200`) {
			t.Fatalf("balance with the consent: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, tok, txs, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"amountFen":4200`) {
			t.Fatalf("transactions with the consent: %s %+v", r.Data, r.Errors)
		}
		if b, n := counting.balance.Load(), counting.transactions.Load(); b != 1 || n != 1 {
			t.Fatalf("with the consent: %d balance and %d transaction calls, want 1 and 1", b, n)
		}
		ws := e.Socket(t, tok) // opened while the consent is in force

		e.Must(t, tok, `mutation { withdrawConsent(purpose: SENSITIVE_FINANCIAL, channel: SETTINGS) { granted } }`, nil, nil)
		counting.balance.Store(0)
		counting.transactions.Store(0)
		// balance is nullable: null with the error; the account is still shown.
		if r := e.Post(t, tok, balance, nil); r.Code() != "CONSENT_REQUIRED" ||
			!strings.Contains(string(r.Data), `"status":"OPEN","balance":null`) {
			t.Fatalf("balance after the withdrawal: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, tok, txs, nil); r.Code() != "CONSENT_REQUIRED" || strings.Contains(string(r.Data), "4200") ||
			!strings.Contains(string(r.Data), `"status":"OPEN","transactions":null`) {
			t.Fatalf("transactions after the withdrawal: %s %+v", r.Data, r.Errors)
		}
		for i, q := range []string{balance, txs} {
			ws.Send("subscribe", string(rune('1'+i)), map[string]any{"query": q})
			m := ws.Expect("next")
			ws.Expect("complete")
			if !strings.Contains(string(m.Payload), "CONSENT_REQUIRED") || strings.Contains(string(m.Payload), "4200") {
				t.Fatalf("over the socket after the withdrawal: %s", m.Payload)
			}
		}
		// Domain code called without a request's viewer (a batch) is held
		// to the same consent, read from the database.
		ctx := context.Background()
		view, err := e.Services.BankAccounts.Mine(ctx, e.UserID(t, student))
		if err != nil || view == nil {
			t.Fatalf("account %v %v", view, err)
		}
		if _, err := e.Services.BankAccounts.Balance(ctx, view); apperr.CodeOf(err) != "CONSENT_REQUIRED" {
			t.Fatalf("batch balance: %v", err)
		}
		if _, _, err := e.Services.BankAccounts.Transactions(ctx, view, "", 5); apperr.CodeOf(err) != "CONSENT_REQUIRED" {
			t.Fatalf("batch transactions: %v", err)
		}
		if b, n := counting.balance.Load(), counting.transactions.Load(); b != 0 || n != 0 {
			t.Fatalf("after the withdrawal the bank was asked %d times for the balance and %d for transactions", b, n)
		}

		e.Grant(t, tok, "SENSITIVE_FINANCIAL")
		if r := e.Post(t, tok, balance, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"availableFen":4200`) {
			t.Fatalf("balance after granting again: %s %+v", r.Data, r.Errors)
		}
	})
}

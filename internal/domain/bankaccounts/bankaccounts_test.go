package bankaccounts_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

const student = "13300000001"

// C2: the Class II account needs four separate consents; the bank gets the
// application once; everything is sealed, masked and in the ledger.
func TestBankAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, student)
		id := idcard.Make("110108", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 42)
		jpeg := testdb.Photo()
		files := map[string][]byte{"variables.in.idPhotoFront": jpeg, "variables.in.idPhotoBack": jpeg, "variables.in.faceData": []byte("face-liveness-bytes")}
		in := func(card string) map[string]any {
			return map[string]any{"in": map[string]any{"name": "李华", "idNumber": id, "boundCard": card,
				"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}}
		}
		q := `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { holderName accountNumber boundCard status warnings } }`
		for i, p := range []string{"SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL"} {
			if r := e.Upload(t, tok, q, in("6222021234567890128"), files); r.Code() != "CONSENT_REQUIRED" {
				t.Fatalf("with %d of 4 consents: %+v", i, r.Errors)
			}
			e.Grant(t, tok, p)
		}
		if n := db.Client.BankAccount.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d applications stored without consent", n)
		}
		var out struct {
			ApplyBankAccount struct {
				HolderName, AccountNumber, BoundCard, Status string
				Warnings                                     []string
			}
		}
		e.Upload(t, tok, q, in("6222021234567890123"), files).Decode(t, &out)
		a := out.ApplyBankAccount
		if a.Status != "OPEN" || a.HolderName != "李*" || !strings.HasPrefix(a.AccountNumber, "**** **** **** ") ||
			a.BoundCard != "**** **** **** 0123" || len(a.Warnings) != 1 || a.Warnings[0] != "BOUND_CARD_CHECKSUM" {
			t.Fatalf("account %+v", a)
		}
		if r := e.Upload(t, tok, q, in("6222021234567890128"), files); r.Code() != "CONFLICT" {
			t.Fatalf("a second account: %+v", r.Errors)
		}
		// Balance and the transactions through the platform, page by page.
		acct := db.Client.BankAccount.Query().OnlyX(t.Context())
		for i := range 5 {
			if _, err := e.Bank.Credit(acct.BankRef, int64(1000*(i+1)), bank.KindTopUp, "充值"); err != nil {
				t.Fatal(err)
			}
		}
		var page struct {
			MyBankAccount struct {
				Balance      struct{ AvailableFen int }
				Transactions struct {
					Items []struct{ AmountFen int }
					Next  *string
				}
			}
		}
		e.Must(t, tok, `{ myBankAccount { balance { availableFen } transactions(first: 3) { items { amountFen } next } } }`, nil, &page)
		if page.MyBankAccount.Balance.AvailableFen != 15000 || len(page.MyBankAccount.Transactions.Items) != 3 || page.MyBankAccount.Transactions.Next == nil {
			t.Fatalf("page %+v", page)
		}
		var rest struct {
			MyBankAccount struct {
				Transactions struct {
					Items []any
					Next  *string
				}
			}
		}
		e.Must(t, tok, `query($a: String) { myBankAccount { transactions(first: 3, after: $a) { items { amountFen } next } } }`,
			map[string]any{"a": *page.MyBankAccount.Transactions.Next}, &rest)
		if len(rest.MyBankAccount.Transactions.Items) != 2 || rest.MyBankAccount.Transactions.Next != nil {
			t.Fatalf("second page %+v", rest)
		}
		var led struct {
			MySharingRecords []struct{ Purpose, DataCategories string }
		}
		e.Must(t, tok, `{ mySharingRecords { purpose dataCategories } }`, nil, &led)
		if len(led.MySharingRecords) != 1 || led.MySharingRecords[0].Purpose != "SHARE_PARTNER_BANK" ||
			!strings.Contains(led.MySharingRecords[0].DataCategories, "人脸信息") {
			t.Fatalf("ledger %+v", led)
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, id, "李华", "6222021234567890123", "face-liveness-bytes", strings.Repeat("p", 40))
	})
}

type flakyBank struct {
	bank.Bank
	mu    sync.Mutex
	calls []bank.Application
}

func (f *flakyBank) Open(ctx context.Context, a bank.Application) (*bank.Account, error) {
	f.mu.Lock()
	f.calls = append(f.calls, a)
	first := len(f.calls) == 1
	f.mu.Unlock()
	if first {
		return nil, fmt.Errorf("open: %w", bank.ErrUnavailable)
	}
	return f.Bank.Open(ctx, a)
}

// C2: after a refusal a new application opens the account; after no answer
// applying again resends the stored application unchanged (one account),
// and the documents kept for that are erased once the bank has answered.
func TestBankAccountRefusalAndRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		flaky := &flakyBank{}
		e := apitest.New(t, db, apitest.Options{Bank: func(s *bank.Sandbox) bank.Bank { flaky.Bank = s; return flaky }})
		id := idcard.Make("110108", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 42)
		jpeg := testdb.Photo()
		files := map[string][]byte{"variables.in.idPhotoFront": jpeg, "variables.in.idPhotoBack": jpeg, "variables.in.faceData": []byte("face")}
		in := func(name string) map[string]any {
			return map[string]any{"in": map[string]any{"name": name, "idNumber": id, "boundCard": "6222021234567890128",
				"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}}
		}
		q := `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { holderName status } }`
		tok := e.Login(t, student)
		e.Grant(t, tok, "SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")

		// No answer: the application is kept; applying again resends it as it
		// was (same id, same name), whatever the new input says.
		if r := e.Upload(t, tok, q, in("李华"), files); r.Code() != "BANK_UNAVAILABLE" {
			t.Fatalf("no answer: %s %+v", r.Data, r.Errors)
		}
		if r := e.Upload(t, tok, q, in("王五"), files); !strings.Contains(string(r.Data), `"holderName":"李*","status":"OPEN"`) {
			t.Fatalf("resent: %s %+v", r.Data, r.Errors)
		}
		if len(flaky.calls) != 2 || flaky.calls[0].ApplicationID != flaky.calls[1].ApplicationID || flaky.calls[1].Name != "李华" {
			t.Fatalf("bank calls %+v", flaky.calls)
		}
		// The photos reached the bank as pictures, without their EXIF block.
		for _, c := range flaky.calls {
			for _, p := range [][]byte{c.IDPhotoFront, c.IDPhotoBack} {
				if len(p) == 0 || bytes.Contains(p, []byte(testdb.ExifMarker)) || media.Detect(p) != media.JPEG {
					t.Fatalf("photo sent to the bank: %d bytes, EXIF kept: %v", len(p), bytes.Contains(p, []byte(testdb.ExifMarker)))
				}
			}
		}
		a := db.Client.BankAccount.Query().OnlyX(t.Context())
		empty := func(b *[]byte) bool { return b == nil || len(*b) == 0 } // NULL reads as a nil slice
		if !empty(a.IDNumberCipher) || !empty(a.IDPhotoCipher) || !empty(a.IDPhotoBackCipher) || !empty(a.FaceCipher) {
			t.Fatal("documents kept after the bank answered")
		}

		// A refusal, then a new application: the account opens.
		other := e.Login(t, "13300000002")
		e.Grant(t, other, "SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")
		if r := e.Upload(t, other, q, in(bank.SandboxRejectName), files); !strings.Contains(string(r.Data), `"status":"REJECTED"`) {
			t.Fatalf("refused: %s %+v", r.Data, r.Errors)
		}
		if r := e.Upload(t, other, q, in("赵六"), files); !strings.Contains(string(r.Data), `"status":"OPEN"`) {
			t.Fatalf("after a refusal: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, other, `{ myBankAccount { holderName status warnings } }`, nil); !strings.Contains(string(r.Data), `"holderName":"赵*","status":"OPEN","warnings":[]`) {
			t.Fatalf("stored after a refusal: %s %+v", r.Data, r.Errors)
		}
	})
}

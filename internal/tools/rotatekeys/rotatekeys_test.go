package rotatekeys_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/bankaccounts"
	"github.com/tongxue/tongxue/internal/domain/errands"
	"github.com/tongxue/tongxue/internal/domain/feedback"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
	"github.com/tongxue/tongxue/internal/tools/rotatekeys"
)

// Y1: rotation re-seals every sealed column under the new key, while
// writers keep writing, and the old key can then be dropped.
func TestKeyRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		// While the bank does not answer, an application keeps its identity
		// documents (sealed) until it is resent: those columns are rotated
		// too, as are an opened account's.
		down := &silentBank{}
		e := apitest.New(t, db, apitest.Options{Bank: func(s *bank.Sandbox) bank.Bank { down.Bank = s; return down }})
		old := e.Keys.Ring
		phones := []string{"13600000001", "13600000002", "13600000003"}
		for _, p := range phones {
			tok := e.Login(t, p)
			e.Post(t, tok, `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted } }`, nil)
			e.Grant(t, tok, "SHARE_PARTNER_BANK", "SENSITIVE_IDENTITY", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL") // Accounts.Apply checks them
			if r := e.Post(t, tok, `mutation { submitFeedback(input: {text: "好", contactPhone: "`+p+`", contactEmail: "x`+p+`@example.com"}) { id } }`, nil); len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
		}

		// Every other sealed column: an address, an order's delivery snapshot,
		// a student verification.
		e.Seed(t)
		v := &auth.Viewer{UserID: e.UserID(t, phones[2])}
		a, err := e.Services.Addresses.Create(t.Context(), v.UserID, address.Input{RecipientName: "赵六", Phone: phones[2], Address: "浙江省杭州市西湖区余杭塘路 866 号"})
		if err != nil {
			t.Fatal(err)
		}
		p := db.Client.Product.Query().Where(product.StudentOnly(false), product.StockGT(0)).FirstX(t.Context())
		if _, err := e.Services.Orders.Place(t.Context(), v, e.Services.Addresses, orders.PlaceInput{
			Lines: []orders.Line{{ProductID: p.ID, Quantity: 1}}, AddressID: a.ID, IdempotencyKey: "rotate-0001"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Services.Students.Submit(t.Context(), v, studentverify.Request{Name: "赵六",
			IDNumber: idcard.Make("330106", time.Date(2003, 3, 3, 0, 0, 0, 0, time.UTC), 9), School: "浙江大学",
			CHSICode: "TESTOK654321", CardPhoto: testdb.Photo()}); err != nil {
			t.Fatal(err)
		}

		if _, err := e.Services.Errands.Post(t.Context(), v, errands.Input{Area: "东区", PickupPlace: "菜鸟驿站", Credential: "6-2-3021",
			ParcelType: "SMALL", WeightGrams: 500, RewardFen: 300,
			Delivery: address.Input{RecipientName: "赵六", Phone: phones[2], Address: "浙江省杭州市西湖区余杭塘路 866 号"}}); err != nil {
			t.Fatal(err)
		}
		// A post's place (sealed; erased when LOCATION is withdrawn).
		db.Client.Post.Create().SetAuthorID(v.UserID).SetText("到此一游").
			SetLocationCipher(old.Seal([]byte("紫荆公寓"), "posts.location_cipher")).ExecX(t.Context())
		jpeg := testdb.Photo()
		down.silent.Store(true)
		if _, err := e.Services.BankAccounts.Apply(t.Context(), v, bankaccounts.ApplyInput{Name: "赵六",
			IDNumber: idcard.Make("330106", time.Date(2003, 3, 3, 0, 0, 0, 0, time.UTC), 9), BoundCard: "6222021234567890128",
			IDPhotoFront: jpeg, IDPhotoBack: jpeg, FaceData: []byte("face")}); !isCode(err, apperr.CodeBankUnavailable) {
			t.Fatalf("bank down: %v", err)
		}
		down.silent.Store(false)
		if _, err := e.Services.BankAccounts.Apply(t.Context(), &auth.Viewer{UserID: e.UserID(t, phones[1])}, bankaccounts.ApplyInput{Name: "钱七",
			IDNumber: idcard.Make("330106", time.Date(2004, 4, 4, 0, 0, 0, 0, time.UTC), 7), BoundCard: "6222021234567890128",
			IDPhotoFront: jpeg, IDPhotoBack: jpeg, FaceData: []byte("face")}); err != nil {
			t.Fatal(err)
		}
		// A copy of one's data (built at once) and a next of kin's request.
		if _, err := e.Services.Exports.Request(t.Context(), v.UserID); err != nil {
			t.Fatal(err)
		}
		details := "请删除我父亲的账号"
		if _, err := e.Services.Rights.SubmitKin(t.Context(), rights.KinInput{Kind: privacyrequest.KindDELETE,
			DeceasedPhone: phones[1], KinName: "钱小七", KinContact: "13900001111", KinRelation: "子女",
			Details: &details, Documents: [][]byte{jpeg}}); err != nil {
			t.Fatal(err)
		}

		newKey := "k2:" + vault.NewKey()
		both, err := vault.ParseKeyring(newKey + ",t1:" + e.DataKeyMaterial)
		if err != nil {
			t.Fatal(err)
		}
		// Writers with the old ring keep going during the rotation.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			fb := feedback.New(db.Client, old, time.Now)
			uid := e.UserID(t, phones[0])
			for range 20 {
				p := phones[0]
				if _, err := fb.Submit(t.Context(), uid, feedback.Input{Text: "并发", ContactPhone: &p}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		st, err := rotatekeys.Rotate(t.Context(), db, both, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if st.Resealed == 0 {
			t.Fatalf("nothing resealed: %+v", st)
		}
		// A second run picks up what the writers added meanwhile; a third finds nothing.
		if _, err := rotatekeys.Rotate(t.Context(), db, both, 2, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		st, err = rotatekeys.Rotate(t.Context(), db, both, 100, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil || st.Resealed != 0 || st.Scanned < 3+3+3+20 {
			t.Fatalf("third run: %+v %v", st, err)
		}

		// Every sealed value is now under k2 and opens with k2 alone.
		onlyNew, _ := vault.ParseKeyring(newKey)
		cols, _ := datamap.SealedColumns()
		for _, c := range cols {
			rows, err := db.SQL.Query(`SELECT ` + c.Column + ` FROM ` + c.Table + ` WHERE ` + c.Column + ` IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				if id, _ := vault.KeyID(b); id != "k2" {
					t.Fatalf("%s still under %s", c.AAD(), id)
				}
				if _, err := onlyNew.Open(b, c.AAD()); err != nil {
					t.Fatalf("%s: %v", c.AAD(), err)
				}
				n++
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("no rows in %s: the test proves nothing", c.AAD())
			}
		}
		// The domain code reads them back with the new ring.
		keys := vault.Keys{Ring: onlyNew, Index: e.Keys.Index}
		u, err := db.Client.User.Get(t.Context(), e.UserID(t, phones[1]))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := account.OpenPhone(keys.Ring, u); err != nil || got != phones[1] {
			t.Fatalf("phone after rotation: %q %v", got, err)
		}
		addrs, err := address.New(db.Client, onlyNew, time.Now).List(t.Context(), v.UserID)
		if err != nil || len(addrs) != 1 || addrs[0].RecipientName != "赵六" {
			t.Fatalf("address after rotation: %+v %v", addrs, err)
		}
	})
}

// silentBank does not answer applications while silent is set.
type silentBank struct {
	bank.Bank
	silent atomic.Bool
}

func (b *silentBank) Open(ctx context.Context, a bank.Application) (*bank.Account, error) {
	if b.silent.Load() {
		return nil, bank.ErrUnavailable
	}
	return b.Bank.Open(ctx, a)
}

func isCode(err error, code apperr.Code) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == code
}

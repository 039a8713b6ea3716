package starcard_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/bank"
	"github.com/tongxue/tongxue/internal/credential"
	"github.com/tongxue/tongxue/internal/idcard"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/testdb"
)

const (
	student  = "13300000001"
	merchant = "13300000002"
	apply    = `mutation { applyStarCard(input: {kind: STAR_CARD, gender: FEMALE, school: "北京大学", schoolingYears: 4, enrolmentYear: 2024}) { id number status } }`
	verify   = `query($p: String!) { verifyStarCard(payload: $p) { valid reason number kind school gradYear } }`
)

type check struct {
	Valid    bool
	Reason   *string
	Number   *string
	School   *string
	GradYear *int
}

// C1: a card, its signed short-lived QR, the merchant's check, revocation.
func TestStarCard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, student)
		shop := e.Login(t, merchant)
		e.SetRole(t, merchant, user.RoleMERCHANT)
		var card struct {
			ApplyStarCard struct{ ID, Number, Status string }
		}
		e.Must(t, tok, apply, nil, &card)
		c := card.ApplyStarCard
		if !credential.ValidNumber(c.Number) || c.Status != "ACTIVE" {
			t.Fatalf("card %+v", c)
		}
		if r := e.Post(t, tok, apply, nil); r.Code() != "CONFLICT" {
			t.Fatalf("a second active card: %+v", r.Errors)
		}
		var qr struct{ StarCardQR struct{ Payload string } }
		e.Must(t, tok, `mutation($id: ID!) { starCardQR(id: $id) { payload expiresAt } }`, map[string]any{"id": c.ID}, &qr)
		payload := qr.StarCardQR.Payload
		// What the merchant can read from the payload: no nickname, no gender.
		parts := strings.Split(payload, ".")
		raw, _ := jsonPart(parts[1])
		if strings.Contains(raw, "FEMALE") || strings.Contains(raw, "测试同学") || !strings.Contains(raw, c.Number) {
			t.Fatalf("payload claims %s", raw)
		}

		if r := e.Post(t, tok, verify, map[string]any{"p": payload}); r.Code() != "FORBIDDEN" {
			t.Fatalf("a student verifies: %+v", r.Errors)
		}
		var ok struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": payload}, &ok)
		if v := ok.VerifyStarCard; !v.Valid || *v.Number != c.Number || *v.School != "北京大学" || *v.GradYear != 2028 {
			t.Fatalf("check %+v", v)
		}
		tampered := payload[:len(payload)-3] + "AAA"
		var bad struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": tampered}, &bad)
		if bad.VerifyStarCard.Valid || bad.VerifyStarCard.Reason == nil {
			t.Fatalf("tampered %+v", bad)
		}
		// Offline: the published key verifies the same payload.
		resp, err := http.Get(e.Server.URL + "/star-cards/keys")
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&keys)
		resp.Body.Close()
		pub, err := credential.ParsePublicKeyPEM([]byte(keys["k1"]))
		if err != nil {
			t.Fatal(err)
		}
		vf, _ := credential.NewVerifier(map[string]ed25519.PublicKey{"k1": pub})
		if _, err := vf.Verify(payload, time.Now()); err != nil {
			t.Fatalf("offline verification: %v", err)
		}

		e.Must(t, tok, `mutation($id: ID!) { revokeStarCard(id: $id) { status } }`, map[string]any{"id": c.ID}, nil)
		var revoked struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": payload}, &revoked)
		if revoked.VerifyStarCard.Valid || *revoked.VerifyStarCard.Reason != "REVOKED" {
			t.Fatalf("after revocation %+v", revoked)
		}
		resp, _ = http.Get(e.Server.URL + "/star-cards/revoked")
		var list struct{ Revoked []string }
		_ = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Revoked) != 1 || list.Revoked[0] != c.Number {
			t.Fatalf("revocation list %+v", list)
		}
	})
}

// C2: the Class II account needs four separate consents; the bank gets the
// application once; everything is sealed, masked and in the ledger.
func TestBankAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, student)
		id := idcard.Make("110108", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 42)
		jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte(strings.Repeat("p", 500))...)
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

func jsonPart(s string) (string, error) {
	for len(s)%4 != 0 {
		s += "="
	}
	b, err := base64URL(s)
	return string(b), err
}

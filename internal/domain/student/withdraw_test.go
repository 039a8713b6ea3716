package student_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/consent"
	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/domain/student"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const placeOrder = `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { status } }`

// buyer is a verified student with an address, ready to order a
// student-only product.
type buyer struct {
	e                  *apitest.Env
	token              string
	userID             int
	idNumber           string
	addressID, product string
	orders             int
}

func newBuyer(t *testing.T, db *store.DB, phone string) *buyer {
	e := apitest.New(t, db, apitest.Options{})
	e.Seed(t)
	b := &buyer{e: e, token: e.Login(t, phone), userID: e.UserID(t, phone),
		idNumber: idcard.Make("110108", time.Date(2004, 5, 6, 0, 0, 0, 0, time.UTC), 321)}
	e.Grant(t, b.token, "SHARE_VERIFICATION", "SENSITIVE_IDENTITY", "SHARE_MERCHANT", "SHARE_COURIER")
	var a struct{ CreateAddress struct{ ID string } }
	e.Must(t, b.token, `mutation { createAddress(input: {label: "宿舍", recipientName: "王小红", phone: "13600001234", address: "北京市海淀区清华园 1 号"}) { id } }`, nil, &a)
	b.addressID = a.CreateAddress.ID
	p := db.Client.Product.Query().Where(product.StudentOnly(true)).FirstX(t.Context())
	db.Client.Product.UpdateOne(p).SetStock(50).ExecX(t.Context())
	b.product = e.Codec.EncodeID(p.ID)
	r := e.Upload(t, b.token, submit, input(b.idNumber, "TESTOK123456"), map[string][]byte{"variables.in.cardPhoto": jpeg})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"status":"VERIFIED"`) {
		t.Fatalf("verification: %s %+v", r.Data, r.Errors)
	}
	return b
}

func (b *buyer) order(t *testing.T) *apitest.Response {
	t.Helper()
	b.orders++
	return b.e.Post(t, b.token, placeOrder, map[string]any{"in": map[string]any{
		"idempotencyKey": "student-offer-" + string(rune('a'+b.orders)) + "-0001", "addressId": b.addressID,
		"lines": []map[string]any{{"productId": b.product, "quantity": 1}}}})
}

// withdraw withdraws p for the buyer and returns the answer (its effects
// are not in the GraphQL type yet).
func (b *buyer) withdraw(t *testing.T, p pii.Purpose) *privacy.ConsentState {
	t.Helper()
	v, err := b.e.Auth.Authenticate(t.Context(), b.token)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.e.Priv.Decide(t.Context(), v, p, false, consentevent.ChannelSETTINGS)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rawVerification reads the student's row from the raw table: whether it
// exists and which of its documents are set.
func rawVerification(t *testing.T, db *store.DB, userID int) (found bool, docs map[string]bool) {
	t.Helper()
	q := `SELECT name_cipher IS NOT NULL, id_number_cipher IS NOT NULL, id_number_hash IS NOT NULL,
		card_photo_cipher IS NOT NULL, chsi_code_cipher IS NOT NULL FROM student_verifications WHERE user_id = ?`
	if db.Dialect == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	rows, err := db.SQL.Query(q, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		return false, nil
	}
	var name, id, hash, photo, chsi bool
	if err := rows.Scan(&name, &id, &hash, &photo, &chsi); err != nil {
		t.Fatal(err)
	}
	return true, map[string]bool{"name": name, "idNumber": id, "idHash": hash, "cardPhoto": photo, "chsiCode": chsi}
}

// P2, R4: withdrawing SENSITIVE_IDENTITY deletes the student verification
// with every identity document (name, ID number and its look-up hash, card
// photo, CHSI code) in the withdrawal's transaction, says so in the answer,
// and stops student-only orders with CONSENT_REQUIRED naming the purpose.
// Granting it again brings nothing back: the student verifies anew (and the
// ID number is free to do so).
func TestWithdrawingIdentityDeletesTheVerification(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		b := newBuyer(t, db, "13600005555")
		e := b.e
		if found, docs := rawVerification(t, db, b.userID); !found || slices.Contains(mapValues(docs), false) {
			t.Fatalf("before the withdrawal: %v %v", found, docs)
		}
		if r := b.order(t); len(r.Errors) > 0 {
			t.Fatalf("a verified student's order: %+v", r.Errors)
		}
		orders := db.Client.Order.Query().CountX(t.Context())

		st := b.withdraw(t, pii.SensitiveID)
		if st.Granted || !slices.Equal(st.Effects, []string{privacy.EffectStopped, student.EffectIdentityDeleted}) {
			t.Fatalf("the withdrawal's answer: granted %v, effects %q", st.Granted, st.Effects)
		}
		if found, docs := rawVerification(t, db, b.userID); found {
			t.Fatalf("documents left after the withdrawal: %v", docs)
		}
		r := b.order(t)
		if r.Code() != "CONSENT_REQUIRED" || r.Errors[0].Extensions["purpose"] != "SENSITIVE_IDENTITY" {
			t.Fatalf("a student-only order after the withdrawal: %+v", r.Errors)
		}
		if n := db.Client.Order.Query().CountX(t.Context()); n != orders {
			t.Fatalf("%d orders written by the refused request", n-orders)
		}
		// The star card's student claim is off, without an error.
		if ok, err := e.Services.Students.IsVerified(t.Context(), b.userID); ok || err != nil {
			t.Fatalf("IsVerified after the withdrawal: %v %v", ok, err)
		}

		e.Grant(t, b.token, "SENSITIVE_IDENTITY")
		if r := b.order(t); r.Code() != "STUDENT_VERIFICATION_REQUIRED" {
			t.Fatalf("consent given again, no verification: %+v", r.Errors)
		}
		if r := e.Post(t, b.token, `{ myStudentVerification { status } }`, nil); len(r.Errors) > 0 || string(r.Data) != `{"myStudentVerification":null}` {
			t.Fatalf("a verification came back: %s %+v", r.Data, r.Errors)
		}
		// The ID number's look-up hash went too: another account may verify with it.
		other := e.Login(t, "13600006666")
		e.Grant(t, other, "SHARE_VERIFICATION", "SENSITIVE_IDENTITY")
		if r := e.Upload(t, other, submit, input(b.idNumber, "TESTOK123456"), map[string][]byte{"variables.in.cardPhoto": jpeg}); !strings.Contains(string(r.Data), `"status":"VERIFIED"`) {
			t.Fatalf("the ID number after the withdrawal: %s %+v", r.Data, r.Errors)
		}
		// A withdrawal with nothing held says only that processing stopped.
		if st := b.withdraw(t, pii.SensitiveID); !slices.Equal(st.Effects, []string{privacy.EffectStopped}) {
			t.Fatalf("nothing to delete: effects %q", st.Effects)
		}
	})
}

// P2, R4: withdrawing SHARE_VERIFICATION deletes the CHSI code, kept only
// to be given to the verification service; the verification already made
// stands (a withdrawal does not undo the past) and student offers still
// go through.
func TestWithdrawingVerificationSharingDeletesTheCHSICode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		b := newBuyer(t, db, "13600007777")
		st := b.withdraw(t, pii.ShareVerifier)
		if !slices.Equal(st.Effects, []string{privacy.EffectStopped, student.EffectCHSICodeDeleted}) {
			t.Fatalf("effects %q", st.Effects)
		}
		found, docs := rawVerification(t, db, b.userID)
		if !found || docs["chsiCode"] || !docs["name"] || !docs["idNumber"] || !docs["idHash"] || !docs["cardPhoto"] {
			t.Fatalf("after the withdrawal: %v %v", found, docs)
		}
		if r := b.order(t); len(r.Errors) > 0 {
			t.Fatalf("a student-only order: %+v", r.Errors)
		}
	})
}

// P2: documents that withdrawals made before the hooks existed left behind
// are erased by ForgetWithdrawn (run at start-up): verifications under a
// withdrawn SENSITIVE_IDENTITY go, CHSI codes under a withdrawn
// SHARE_VERIFICATION are cleared, the rest stays; a second run changes
// nothing.
func TestEarlierWithdrawalsAreCaughtUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		ids := map[string]int{}
		for i, phone := range []string{"13600001001", "13600001002", "13600001003"} {
			tok := e.Login(t, phone)
			e.Grant(t, tok, "SHARE_VERIFICATION", "SENSITIVE_IDENTITY")
			id := idcard.Make("110108", time.Date(2004, 5, 6, 0, 0, 0, 0, time.UTC), 400+i)
			if r := e.Upload(t, tok, submit, input(id, "TESTOK123456"), map[string][]byte{"variables.in.cardPhoto": jpeg}); !strings.Contains(string(r.Data), `"status":"VERIFIED"`) {
				t.Fatalf("verification: %s %+v", r.Data, r.Errors)
			}
			ids[phone] = e.UserID(t, phone)
		}
		// Withdrawals recorded as they were before they erased anything.
		legacy := func(phone string, p pii.Purpose) {
			db.Client.Consent.Update().Where(consent.UserID(ids[phone]), consent.PurposeEQ(p)).SetGranted(false).ExecX(t.Context())
		}
		legacy("13600001001", pii.SensitiveID)
		legacy("13600001002", pii.ShareVerifier)
		for run := 1; run <= 2; run++ {
			if err := e.Services.Students.ForgetWithdrawn(t.Context()); err != nil {
				t.Fatal(err)
			}
			if found, docs := rawVerification(t, db, ids["13600001001"]); found {
				t.Fatalf("run %d: identity withdrawn, documents kept: %v", run, docs)
			}
			if found, docs := rawVerification(t, db, ids["13600001002"]); !found || docs["chsiCode"] || !docs["cardPhoto"] {
				t.Fatalf("run %d: sharing withdrawn: %v %v", run, found, docs)
			}
			if found, docs := rawVerification(t, db, ids["13600001003"]); !found || !docs["chsiCode"] || !docs["cardPhoto"] {
				t.Fatalf("run %d: consents in force: %v %v", run, found, docs)
			}
		}
	})
}

func mapValues(m map[string]bool) []bool {
	out := make([]bool, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

package dataexport_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/studentverification"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

// A user with every kind of personal data the catalogue holds, made with
// the app's own mutations where a user can make it, and the expected value
// of each personal field (table.column): a string the export must show
// (contained in the field's value), bytes a file of the export must hold,
// lookup (a keyed hash: listed as held) or withheld (listed, not carried).

type marker string

const (
	lookup   marker = "lookup"
	withheld marker = "withheld"
)

// downBank keeps a bank account application pending with its documents, as
// when the partner bank does not answer (BANK_UNAVAILABLE).
type downBank struct{ bank.Bank }

func (downBank) Open(context.Context, bank.Application) (*bank.Account, error) {
	return nil, fmt.Errorf("open: %w", bank.ErrUnavailable)
}

const (
	aliceName     = "王爱丽"
	aliceAddress  = "北京市海淀区清华园紫荆公寓 7 号楼 707"
	aliceRecvTel  = "13922223333"
	aliceErrandTo = "北京市海淀区清华园紫荆公寓 9 号楼 909"
	aliceAccount  = "6217001234567890"
)

var aliceID = idcard.Make("110108", time.Date(2004, 5, 6, 0, 0, 0, 0, time.UTC), 321)

// giveAliceEverything returns alice's session and the expected values.
func giveAliceEverything(t *testing.T, e *apitest.Env) (string, map[string]any) {
	t.Helper()
	ctx := t.Context()
	db := e.DB.Client
	tok := e.Login(t, alice)
	e.Grant(t, tok, "FEEDBACK", "LOCATION", "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT", "SHARE_VERIFICATION",
		"SENSITIVE_IDENTITY", "SHARE_PARTNER_BANK", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")
	e.Must(t, tok, `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: true, album: true, location: true, storage: false}) { location } }`, nil, nil)
	photo := testdb.Photo()

	// A wow post with a place and a picture, which becomes the avatar.
	if r := e.Upload(t, tok, `mutation($in: CreatePostInput!) { createPost(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"text": "今天的晚霞真好看", "location": "紫荆操场东南角", "images": []any{nil}}},
		map[string][]byte{"variables.in.images.0": photo}); len(r.Errors) > 0 {
		t.Fatalf("createPost: %+v", r.Errors)
	}
	key := db.PostImage.Query().OnlyX(ctx).MediaKey
	e.Must(t, tok, `mutation($a: String!) { updateProfile(input: {nickname: "爱丽丝", school: "清华大学", avatarURL: $a}) { id } }`,
		map[string]any{"a": "/media/" + key}, nil)

	e.Must(t, tok, `mutation { submitFeedback(input: {text: "希望增加夜宵", contactPhone: "13911112222", contactEmail: "alice.wang@example.com"}) { id } }`, nil, nil)

	// An address, and an order delivered to it.
	e.Seed(t)
	var a struct{ CreateAddress struct{ ID string } }
	e.Must(t, tok, `mutation($n: String!, $p: String!, $a: String!) { createAddress(input: {recipientName: $n, phone: $p, address: $a}) { id } }`,
		map[string]any{"n": aliceName, "p": aliceRecvTel, "a": aliceAddress}, &a)
	p := db.Product.Query().Where(product.StudentOnly(false), product.StockGTE(1)).FirstX(ctx)
	e.Must(t, tok, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"idempotencyKey": "export-1", "addressId": a.CreateAddress.ID,
		"lines": []map[string]any{{"productId": e.Codec.EncodeID(p.ID), "quantity": 1}},
	}}, nil)

	// An errand with a parcel photo.
	if r := e.Upload(t, tok, `mutation($in: ErrandInput!) { postErrand(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"area": "东区", "pickupPlace": "菜鸟驿站东区店", "credential": "7-1-1234", "parcelType": "SMALL", "weightGrams": 800,
		"rewardFen": 300, "recipientName": "王小丽", "phone": "13933334444", "address": aliceErrandTo, "photo": nil,
	}}, map[string][]byte{"variables.in.photo": photo}); len(r.Errors) > 0 {
		t.Fatalf("postErrand: %+v", r.Errors)
	}

	// Student verification, a star card, and a bank account application
	// the bank has not answered (so its documents are still held).
	if r := e.Upload(t, tok, `mutation($in: StudentVerificationInput!) { submitStudentVerification(input: $in) { status } }`,
		map[string]any{"in": map[string]any{"name": aliceName, "idNumber": aliceID, "school": "清华大学", "chsiCode": "TESTOK123456", "cardPhoto": nil}},
		map[string][]byte{"variables.in.cardPhoto": photo}); len(r.Errors) > 0 {
		t.Fatalf("submitStudentVerification: %+v", r.Errors)
	}
	e.Must(t, tok, `mutation { applyStarCard(input: {kind: STAR_CARD, gender: FEMALE, school: "清华大学", schoolingYears: 4, enrolmentYear: 2024}) { id } }`, nil, nil)
	r := e.Upload(t, tok, `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { status } }`,
		map[string]any{"in": map[string]any{"name": aliceName, "idNumber": aliceID, "boundCard": "6222021234567890123",
			"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}},
		map[string][]byte{"variables.in.idPhotoFront": photo, "variables.in.idPhotoBack": photo, "variables.in.faceData": []byte("face-liveness-alice")})
	if r.Code() != "BANK_UNAVAILABLE" {
		t.Fatalf("applyBankAccount with the bank down: %+v", r.Errors)
	}
	me := db.User.Query().Where(user.Nickname("爱丽丝")).OnlyX(ctx)
	// What a user cannot reach with one account at one time: the account
	// number (given when the bank answers, after which the documents are
	// erased), and a next of kin's request about them (R7).
	db.BankAccount.Update().Where(bankaccount.UserID(me.ID)).
		SetAccountNumberCipher(e.Keys.Ring.Seal([]byte(aliceAccount), "bank_accounts.account_number_cipher")).ExecX(ctx)
	seal := func(v []byte, col string) []byte { return e.Keys.Ring.Seal(v, "privacy_requests."+col) }
	db.PrivacyRequest.Create().SetUserID(me.ID).SetKind(privacyrequest.KindCOPY).SetRequester(privacyrequest.RequesterNEXT_OF_KIN).
		SetDetailsCipher(seal([]byte("请把我女儿的数据副本交给我"), "details_cipher")).
		SetKinNameCipher(seal([]byte("王大明"), "kin_name_cipher")).
		SetKinContactCipher(seal([]byte("13944445555"), "kin_contact_cipher")).
		SetKinRelation("父亲").
		SetKinDocumentsCipher(seal(photo, "kin_documents_cipher")).
		SetDueAt(time.Now().Add(21 * 24 * time.Hour)).ExecX(ctx)

	open := func(sealed []byte, aad string) []byte {
		b, err := e.Keys.Ring.Open(sealed, aad)
		if err != nil {
			t.Fatalf("%s: %v", aad, err)
		}
		return b
	}
	sv := db.StudentVerification.Query().Where(studentverification.UserID(me.ID)).OnlyX(ctx)
	ba := db.BankAccount.Query().Where(bankaccount.UserID(me.ID)).OnlyX(ctx)
	er := db.Errand.Query().Where(errand.RequesterID(me.ID)).OnlyX(ctx)
	if er.PhotoKey == nil {
		t.Fatal("the errand kept no photo")
	}
	return tok, map[string]any{
		"users.phone_hash":                        lookup,
		"users.phone_cipher":                      alice,
		"users.nickname":                          "爱丽丝",
		"users.avatar_url":                        "/media/" + key,
		"users.birth_date":                        "2003-06-01",
		"users.school":                            "清华大学",
		"login_codes.phone_hash":                  lookup,
		"feedbacks.contact_phone_cipher":          "13911112222",
		"feedbacks.contact_email_cipher":          "alice.wang@example.com",
		"addresses.recipient_name_cipher":         aliceName,
		"addresses.recipient_phone_cipher":        aliceRecvTel,
		"addresses.address_cipher":                aliceAddress,
		"orders.recipient_name_cipher":            aliceName,
		"orders.recipient_phone_cipher":           aliceRecvTel,
		"orders.address_cipher":                   aliceAddress,
		"student_verifications.name_cipher":       aliceName,
		"student_verifications.id_number_cipher":  aliceID,
		"student_verifications.id_number_hash":    lookup,
		"student_verifications.card_photo_cipher": open(*sv.CardPhotoCipher, "student_verifications.card_photo_cipher"),
		"student_verifications.chsi_code_cipher":  "TESTOK123456",
		"posts.text":                              "今天的晚霞真好看",
		"posts.location_cipher":                   "紫荆操场东南角",
		"errands.credential_cipher":               "7-1-1234",
		"errands.photo_key":                       *er.PhotoKey,
		"errands.recipient_name_cipher":           "王小丽",
		"errands.recipient_phone_cipher":          "13933334444",
		"errands.address_cipher":                  aliceErrandTo,
		"star_cards.gender":                       "FEMALE",
		"bank_accounts.name_cipher":               aliceName,
		"bank_accounts.id_number_cipher":          aliceID,
		"bank_accounts.id_photo_cipher":           open(*ba.IDPhotoCipher, "bank_accounts.id_photo_cipher"),
		"bank_accounts.id_photo_back_cipher":      open(*ba.IDPhotoBackCipher, "bank_accounts.id_photo_back_cipher"),
		"bank_accounts.face_cipher":               "face-liveness-alice",
		"bank_accounts.bound_card_cipher":         "6222021234567890123",
		"bank_accounts.account_number_cipher":     aliceAccount,
		"data_exports.archive_cipher":             withheld, // earlier copies are not copied again
		"privacy_requests.details_cipher":         "请把我女儿的数据副本交给我",
		"privacy_requests.kin_name_cipher":        "王大明",
		"privacy_requests.kin_contact_cipher":     "13944445555",
		"privacy_requests.kin_documents_cipher":   photo,
	}
}

// bobsValues gives bob data of the same kinds, with alice as the runner of
// his errand, and returns what must not appear in alice's export.
func bobsValues(t *testing.T, e *apitest.Env, aliceToken string) []string {
	t.Helper()
	tok := e.Login(t, bob)
	e.Grant(t, tok, "FEEDBACK", "LOCATION", "SHARE_COURIER")
	e.Must(t, tok, `mutation { reportDevicePermissions(input: {platform: ANDROID, phone: false, camera: false, album: false, location: true, storage: false}) { location } }`, nil, nil)
	e.Must(t, tok, `mutation { updateProfile(input: {nickname: "鲍勃同学", school: "交大闵行"}) { id } }`, nil, nil)
	e.Must(t, tok, `mutation { createPost(input: {text: "鲍勃的周末", location: "徐汇滨江"}) { id } }`, nil, nil)
	e.Must(t, tok, `mutation { submitFeedback(input: {text: "鲍勃的建议", contactPhone: "13955556666", contactEmail: "bob.lee@example.com"}) { id } }`, nil, nil)
	e.Must(t, tok, `mutation { createAddress(input: {recipientName: "鲍勃·李", phone: "13966667777", address: "上海市闵行区东川路 800 号 B 栋 202"}) { id } }`, nil, nil)
	var made struct{ PostErrand struct{ ID string } }
	e.Must(t, tok, `mutation { postErrand(input: {area: "东区", pickupPlace: "丰巢柜东川路店", credential: "5-5-5555",
		parcelType: SMALL, weightGrams: 500, rewardFen: 200, recipientName: "鲍小二", phone: "13977778888",
		address: "上海市闵行区东川路 800 号 C 栋 303"}) { id } }`, nil, &made)
	e.SetRole(t, alice, user.RoleRUNNER)
	e.Must(t, aliceToken, `mutation($id: ID!) { takeErrand(id: $id) { status } }`, map[string]any{"id": made.PostErrand.ID}, nil)
	return []string{bob, "鲍勃同学", "交大闵行", "鲍勃的周末", "徐汇滨江", "鲍勃的建议", "13955556666", "bob.lee@example.com",
		"鲍勃·李", "13966667777", "东川路 800 号", "丰巢柜东川路店", "5-5-5555", "鲍小二", "13977778888"}
}

package account_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

// The values of the user who cancels: each appears nowhere else in the
// database (the seed, the other people), so finding one after the
// cancellation means it was left behind.
const (
	cancelPhone   = "13911110001"
	friendPhone   = "13911110002"
	neighborPhone = "13911110003"
	nickname      = "注销小明"
	school        = "注销测试学院"
	recipient     = "注销张三"
	homeAddress   = "北京市海淀区注销测试路 7 号"
	place         = "注销湖畔"
	postText      = "注销前的晚霞"
	reviewText    = "注销前写下的评价"
	feedbackText  = "注销前的反馈意见"
	contactEmail  = "cancel.test@example.com"
	legalName     = "注销王五"
	chsiCode      = "TESTOK778899"
	boundCard     = "6222021234567890128"
	pickupPlace   = "注销驿站 9 号柜"
	pickupCode    = "9-9-9917"
	errandName    = "注销钱七"
	errandAddress = "北京市海淀区注销测试路 8 号"
	faceData      = "注销人脸数据-liveness-0001"
)

var idNumber = idcard.Make("110108", time.Date(2003, 7, 9, 0, 0, 0, 0, time.UTC), 417)

// someone is a user who cancels, with every kind of personal data the app
// keeps, each made through the app's own mutations (a review directly:
// no mutation writes one yet).
type someone struct {
	e        *apitest.Env
	token    string
	id       int
	plain    []string // their personal values in the clear
	pictures []string // media keys of their pictures
	// The friend's post they wowed, and its count then.
	friendPost  int
	friendWows  int
	friendToken string
}

func (s *someone) must(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	s.e.Must(t, s.token, query, vars, out)
}

func upload(t *testing.T, e *apitest.Env, token, query string, vars map[string]any, files map[string][]byte, out any) {
	t.Helper()
	r := e.Upload(t, token, query, vars, files)
	if out != nil || len(r.Errors) > 0 {
		r.Decode(t, out)
	}
}

// newSomeone makes the user and the people and records around them.
func newSomeone(t *testing.T, db *store.DB, e *apitest.Env, clock *testdb.Clock) *someone {
	e.Seed(t)
	s := &someone{e: e, token: e.Login(t, cancelPhone)}
	s.id = e.UserID(t, cancelPhone)
	s.plain = []string{cancelPhone, nickname, school, recipient, homeAddress, place, postText, reviewText, feedbackText,
		contactEmail, legalName, idNumber, chsiCode, boundCard, pickupPlace, pickupCode, errandName, errandAddress, faceData}
	photo := testdb.Photo()

	s.e.Grant(t, s.token, "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT", "LOCATION", "FEEDBACK",
		"SHARE_VERIFICATION", "SENSITIVE_IDENTITY", "SHARE_PARTNER_BANK", "SENSITIVE_BIOMETRIC", "SENSITIVE_FINANCIAL")
	s.must(t, `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: true, album: true, location: true, storage: false}) { location } }`, nil, nil)

	// A post with a place and a picture, which becomes the avatar.
	var post struct {
		CreatePost struct {
			ID     string
			Images []struct{ URL string }
		}
	}
	upload(t, e, s.token, `mutation($in: CreatePostInput!) { createPost(input: $in) { id images { url } } }`,
		map[string]any{"in": map[string]any{"text": postText, "visibility": "PUBLIC", "location": place, "images": []any{nil}}},
		map[string][]byte{"variables.in.images.0": photo}, &post)
	avatar := media.Unsigned(post.CreatePost.Images[0].URL)
	s.pictures = append(s.pictures, strings.TrimPrefix(avatar, media.URLPath))
	s.plain = append(s.plain, s.pictures...)
	s.must(t, `mutation($in: ProfileInput!) { updateProfile(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"nickname": nickname, "school": school, "avatarURL": avatar}}, nil)

	// A friend: mutual follows, a wow each way.
	s.friendToken = e.Login(t, friendPhone)
	var friendPost struct{ CreatePost struct{ ID string } }
	e.Must(t, s.friendToken, `mutation { createPost(input: {text: "朋友的帖子", visibility: PUBLIC}) { id } }`, nil, &friendPost)
	var ids struct {
		Me struct{ Profile struct{ ID string } }
	}
	e.Must(t, s.friendToken, `{ me { profile { id } } }`, nil, &ids)
	s.must(t, `mutation($u: ID!) { follow(userId: $u) }`, map[string]any{"u": ids.Me.Profile.ID}, nil)
	s.must(t, `{ me { profile { id } } }`, nil, &ids)
	e.Must(t, s.friendToken, `mutation($u: ID!) { follow(userId: $u) }`, map[string]any{"u": ids.Me.Profile.ID}, nil)
	s.must(t, `mutation($p: ID!) { sendWow(postId: $p) { id } }`, map[string]any{"p": friendPost.CreatePost.ID}, nil)
	e.Must(t, s.friendToken, `mutation($p: ID!) { sendWow(postId: $p) { id } }`, map[string]any{"p": post.CreatePost.ID}, nil)
	var err error
	if s.friendPost, err = e.Codec.DecodeID(friendPost.CreatePost.ID); err != nil {
		t.Fatal(err)
	}
	s.friendWows = db.Client.Post.GetX(t.Context(), s.friendPost).WowCount

	s.shop(t, db)
	s.errands(t)

	// A review (no mutation writes one yet), feedback, student identity,
	// a star card, the bank account.
	p := db.Client.Product.Query().FirstX(t.Context())
	db.Client.Review.Create().SetRating(4).SetText(reviewText).SetProductID(p.ID).SetAuthorID(s.id).ExecX(t.Context())
	s.must(t, `mutation($in: FeedbackInput!) { submitFeedback(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"text": feedbackText, "contactPhone": cancelPhone, "contactEmail": contactEmail}}, nil)
	upload(t, e, s.token, `mutation($in: StudentVerificationInput!) { submitStudentVerification(input: $in) { status } }`,
		map[string]any{"in": map[string]any{"name": legalName, "idNumber": idNumber, "school": school, "chsiCode": chsiCode, "cardPhoto": nil}},
		map[string][]byte{"variables.in.cardPhoto": photo}, nil)
	s.must(t, `mutation { applyStarCard(input: {kind: STAR_CARD, gender: FEMALE, school: "`+school+`", schoolingYears: 4, enrolmentYear: 2023}) { id } }`, nil, nil)
	var acct struct{ ApplyBankAccount struct{ Status string } }
	upload(t, e, s.token, `mutation($in: BankAccountInput!) { applyBankAccount(input: $in) { status } }`,
		map[string]any{"in": map[string]any{"name": legalName, "idNumber": idNumber, "boundCard": boundCard,
			"idPhotoFront": nil, "idPhotoBack": nil, "faceData": nil}},
		map[string][]byte{"variables.in.idPhotoFront": photo, "variables.in.idPhotoBack": photo, "variables.in.faceData": []byte(faceData)}, &acct)
	if acct.ApplyBankAccount.Status != "OPEN" {
		t.Fatalf("bank account %+v", acct)
	}

	// The rights issue's records: an export, a request; a reveal of their
	// own phone (audited) after a fresh SMS code.
	s.must(t, `mutation { requestDataExport { id } }`, nil, nil)
	s.must(t, `mutation { submitPrivacyRequest(input: {kind: ACCESS, details: "想查看平台保存的全部记录"}) { id } }`, nil, nil)
	clock.Add(2 * time.Minute) // one code a minute per number
	s.stepUp(t)
	s.must(t, `{ me { phone @reveal } }`, nil, nil)
	return s
}

// stepUp verifies with a fresh SMS code (5 minutes on the server's clock).
func (s *someone) stepUp(t *testing.T) {
	t.Helper()
	s.must(t, `mutation { requestRevealCode { sentTo } }`, nil, nil)
	s.must(t, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`, map[string]any{"c": s.e.SMS.LastCode(cancelPhone)}, nil)
}

// shop: an address, a cart, a favourite, and an order paid, shipped,
// delivered and completed.
func (s *someone) shop(t *testing.T, db *store.DB) {
	e := s.e
	merchant := e.Login(t, seed.MerchantPhone)
	var shopID int
	for _, m := range db.Client.Merchant.Query().AllX(t.Context()) {
		if m.OwnerID != nil {
			shopID = m.ID
		}
	}
	p := db.Client.Product.Query().Where(product.MerchantID(shopID), product.StudentOnly(false), product.StockGTE(5)).FirstX(t.Context())
	pid := e.Codec.EncodeID(p.ID)
	var addr struct{ CreateAddress struct{ ID string } }
	s.must(t, `mutation($in: AddressInput!) { createAddress(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"recipientName": recipient, "phone": cancelPhone, "address": homeAddress}}, &addr)
	s.must(t, `mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 2) { totalFen } }`, map[string]any{"p": pid}, nil)
	s.must(t, `mutation($p: ID!) { setFavorite(productId: $p, favorite: true) }`, map[string]any{"p": pid}, nil)
	var o struct{ PlaceOrder struct{ ID string } }
	s.must(t, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"idempotencyKey": "cancel-order-1", "addressId": addr.CreateAddress.ID,
		"lines": []map[string]any{{"productId": pid, "quantity": 1}}}}, &o)
	id := map[string]any{"id": o.PlaceOrder.ID}
	s.must(t, `mutation($id: ID!) { sandboxPay(id: $id) { status } }`, id, nil)
	e.Must(t, merchant, `mutation($id: ID!) { shipOrder(id: $id) { status } }`, id, nil)
	e.Must(t, merchant, `mutation($id: ID!) { markDelivered(id: $id) { status } }`, id, nil)
	var done struct{ ConfirmReceipt struct{ Status string } }
	s.must(t, `mutation($id: ID!) { confirmReceipt(id: $id) { status } }`, id, &done)
	if done.ConfirmReceipt.Status != "COMPLETED" {
		t.Fatalf("order %+v", done)
	}
}

// errands: one they posted (run by the demo runner), and one they ran for
// a neighbour (whose ledger then names them).
func (s *someone) errands(t *testing.T) {
	e := s.e
	runner := e.Login(t, seed.RunnerPhone)
	var made struct{ PostErrand struct{ ID string } }
	s.must(t, `mutation($in: ErrandInput!) { postErrand(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"area": "东区", "pickupPlace": pickupPlace, "credential": pickupCode, "parcelType": "SMALL", "weightGrams": 500,
		"rewardFen": 300, "recipientName": errandName, "phone": cancelPhone, "address": errandAddress}}, &made)
	id := map[string]any{"id": made.PostErrand.ID}
	for _, m := range []string{"takeErrand", "pickUpErrand", "deliverErrand"} {
		e.Must(t, runner, `mutation($id: ID!) { e: `+m+`(id: $id) { status } }`, id, nil)
	}
	s.must(t, `mutation($id: ID!) { completeErrand(id: $id) { status } }`, id, nil)

	neighbor := e.Login(t, neighborPhone)
	e.Grant(t, neighbor, "SHARE_COURIER")
	e.SetRole(t, cancelPhone, user.RoleRUNNER)
	e.Must(t, neighbor, `mutation { postErrand(input: {area: "西区", pickupPlace: "西区驿站", credential: "1-1-1001",
		parcelType: DOCUMENT, weightGrams: 100, rewardFen: 200, recipientName: "邻居", phone: "13911110003",
		address: "西区 2 号楼"}) { id } }`, nil, &made)
	id = map[string]any{"id": made.PostErrand.ID}
	for _, m := range []string{"takeErrand", "pickUpErrand", "deliverErrand"} {
		s.must(t, `mutation($id: ID!) { e: `+m+`(id: $id) { status } }`, id, nil)
	}
	e.Must(t, neighbor, `mutation($id: ID!) { completeErrand(id: $id) { status } }`, id, nil)
}

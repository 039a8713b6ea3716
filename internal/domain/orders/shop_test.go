package orders_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
	"github.com/tongxue/tongxue/internal/seed"
)

const (
	buyer  = "13700000001"
	other  = "13700000002"
	addrIn = `mutation { createAddress(input: {label: "宿舍楼下快递站", recipientName: "张小明", phone: "13700000001", address: "北京市海淀区清华园紫荆公寓 3 号楼 502"}) { id recipientName phone address isDefault } }`
)

type shop struct {
	e                        *apitest.Env
	buyer, merchant, runner  string // tokens
	addressID                string
	productID, studentOnlyID string
	price                    int
}

// newShop seeds the catalogue and signs in a buyer (with an address and the
// consents an order needs), the demo merchant and the demo runner.
func newShop(t testing.TB, db *store.DB) *shop {
	return shopOn(t, db, apitest.New(t, db, apitest.Options{}))
}

func shopOn(t testing.TB, db *store.DB, e *apitest.Env) *shop {
	e.Seed(t)
	s := &shop{e: e, buyer: e.Login(t, buyer), merchant: e.Login(t, seed.MerchantPhone), runner: e.Login(t, seed.RunnerPhone)}
	e.Grant(t, s.buyer, "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT")
	var a struct{ CreateAddress struct{ ID string } }
	e.Must(t, s.buyer, addrIn, nil, &a)
	s.addressID = a.CreateAddress.ID
	// Products of the shop the demo merchant runs.
	shop := ownedShop(t, db)
	ps := db.Client.Product.Query().Where(product.MerchantIDEQ(shop), product.StudentOnly(false), product.StockGTE(5)).AllX(t.Context())
	s.productID, s.price = e.Codec.EncodeID(ps[0].ID), int(ps[0].PriceFen)
	so := db.Client.Product.Query().Where(product.MerchantIDEQ(shop), product.StudentOnly(true)).FirstX(t.Context())
	db.Client.Product.UpdateOne(so).SetStock(50).ExecX(t.Context())
	s.studentOnlyID = e.Codec.EncodeID(so.ID)
	return s
}

func ownedShop(t testing.TB, db *store.DB) int {
	ms := db.Client.Merchant.Query().AllX(t.Context())
	for _, m := range ms {
		if m.OwnerID != nil {
			return m.ID
		}
	}
	t.Fatal("no merchant has an owner")
	return 0
}

const orderFields = `id orderNo status totalFen paidFen paymentProvider items { name unitPriceFen quantity } merchant { name } delivery { recipientName phone address }`

type orderData struct {
	ID, OrderNo, Status, PaymentProvider string
	TotalFen                             int
	PaidFen                              *int
	Items                                []struct {
		Name         string
		UnitPriceFen int
		Quantity     int
	}
	Merchant struct{ Name string }
	Delivery struct{ RecipientName, Phone, Address string }
}

func (s *shop) place(t testing.TB, key string, qty int) (*apitest.Response, orderData) {
	t.Helper()
	r := s.e.Post(t, s.buyer, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { `+orderFields+` } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": key, "addressId": s.addressID,
			"lines": []map[string]any{{"productId": s.productID, "quantity": qty}}}})
	var out struct{ PlaceOrder orderData }
	if len(r.Errors) == 0 {
		r.Decode(t, &out)
	}
	return r, out.PlaceOrder
}

func (s *shop) do(t testing.TB, token, mutation, id string) *apitest.Response {
	t.Helper()
	return s.e.Post(t, token, `mutation($id: ID!) { o: `+mutation+`(id: $id) { id status } }`, map[string]any{"id": id})
}

func status(t testing.TB, r *apitest.Response) string {
	t.Helper()
	var out struct{ O struct{ Status string } }
	r.Decode(t, &out)
	return out.O.Status
}

func TestCartFavouritesAndAddresses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		var cart struct {
			SetCartQuantity struct {
				TotalFen int
				Lines    []struct {
					Quantity    int
					SubtotalFen int
					Product     struct{ ID string }
				}
			}
		}
		e.Must(t, s.buyer, `mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 3) { totalFen lines { quantity subtotalFen product { id } } } }`,
			map[string]any{"p": s.productID}, &cart)
		if c := cart.SetCartQuantity; len(c.Lines) != 1 || c.TotalFen != 3*s.price || c.Lines[0].Product.ID != s.productID {
			t.Fatalf("cart %+v", c)
		}
		if r := e.Post(t, s.buyer, `mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 100) { totalFen } }`,
			map[string]any{"p": s.productID}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("quantity 100: %+v", r.Errors)
		}
		e.Must(t, s.buyer, `mutation($p: ID!) { setFavorite(productId: $p, favorite: true) }`, map[string]any{"p": s.productID}, nil)
		e.Must(t, s.buyer, `mutation($p: ID!) { setFavorite(productId: $p, favorite: true) }`, map[string]any{"p": s.productID}, nil)
		var fav struct{ MyFavorites []struct{ ID string } }
		e.Must(t, s.buyer, `{ myFavorites { id } }`, nil, &fav)
		if len(fav.MyFavorites) != 1 || fav.MyFavorites[0].ID != s.productID {
			t.Fatalf("favourites %+v", fav)
		}

		// Addresses are masked even to their owner, and private.
		var addrs struct {
			MyAddresses []struct{ ID, RecipientName, Phone, Address string }
		}
		e.Must(t, s.buyer, `{ myAddresses { id recipientName phone address } }`, nil, &addrs)
		a := addrs.MyAddresses[0]
		if a.RecipientName != "张**" || a.Phone != "137****0001" || a.Address != "北京市海淀区****" {
			t.Fatalf("address shown as %+v", a)
		}
		if r := e.Post(t, s.buyer, `mutation { createAddress(input: {recipientName: "张", phone: "123", address: "北京市海淀区"}) { id } }`, nil); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("bad phone: %+v", r.Errors)
		}
		intruder := e.Login(t, other)
		if r := e.Post(t, intruder, `mutation($id: ID!) { deleteAddress(id: $id) }`, map[string]any{"id": a.ID}); r.Code() != "NOT_FOUND" {
			t.Fatalf("deleting someone else's address: %+v", r.Errors)
		}
	})
}

// S3, S5, S6, D1: the life of an order.
func TestOrderLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		pid, _ := e.Codec.DecodeID(s.productID)
		stock0 := db.Client.Product.GetX(t.Context(), pid).Stock

		// Separate consents are needed, and nothing is written without them.
		lone := e.Login(t, other)
		var a struct{ CreateAddress struct{ ID string } }
		e.Must(t, lone, strings.Replace(addrIn, "13700000001", other, 1), nil, &a)
		r := e.Post(t, lone, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"idempotencyKey": "key-lone-1", "addressId": a.CreateAddress.ID, "lines": []map[string]any{{"productId": s.productID, "quantity": 1}}}})
		if r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("without consents: %+v", r.Errors)
		}
		if n := db.Client.Order.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d orders written without consent", n)
		}

		e.Must(t, s.buyer, `mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 2) { totalFen } }`, map[string]any{"p": s.productID}, nil)
		r, o := s.place(t, "checkout-0001", 2)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if o.Status != "AWAITING_PAYMENT" || o.TotalFen != 2*s.price || o.PaidFen != nil || len(o.Items) != 1 ||
			o.Items[0].UnitPriceFen != s.price || !strings.HasPrefix(o.OrderNo, "TX") || o.PaymentProvider != "sandbox" {
			t.Fatalf("order %+v", o)
		}
		if o.Delivery.RecipientName != "张**" || o.Delivery.Phone != "137****0001" || o.Delivery.Address != "北京市海淀区****" {
			t.Fatalf("delivery shown as %+v", o.Delivery)
		}
		if got := db.Client.Product.GetX(t.Context(), pid).Stock; got != stock0-2 {
			t.Fatalf("stock %d, want %d", got, stock0-2)
		}
		var cart struct{ MyCart struct{ Lines []any } }
		e.Must(t, s.buyer, `{ myCart { lines { quantity } } }`, nil, &cart)
		if len(cart.MyCart.Lines) != 0 {
			t.Fatal("the ordered product stayed in the cart")
		}
		// A retry with the same key is the same order, and takes no more stock.
		if _, again := s.place(t, "checkout-0001", 2); again.ID != o.ID {
			t.Fatalf("retry made order %s, first %s", again.ID, o.ID)
		}
		if got := db.Client.Product.GetX(t.Context(), pid).Stock; got != stock0-2 {
			t.Fatalf("retry took stock: %d", got)
		}

		// Who may do what.
		if r := s.do(t, s.merchant, "shipOrder", o.ID); r.Code() != "INVALID_TRANSITION" {
			t.Fatalf("ship before payment: %+v", r.Errors)
		}
		if r := e.Post(t, s.merchant, `query($id: ID!) { order(id: $id) { delivery { address @reveal } } }`, map[string]any{"id": o.ID}); r.Code() != "FORBIDDEN" {
			t.Fatalf("merchant reveals before payment: %s %+v", r.Data, r.Errors)
		}
		var intent struct {
			PayOrder struct{ Provider, PayURL string }
		}
		e.Must(t, s.buyer, `mutation($id: ID!) { payOrder(id: $id) { provider providerRef payURL } }`, map[string]any{"id": o.ID}, &intent)
		if intent.PayOrder.Provider != "sandbox" || intent.PayOrder.PayURL == "" {
			t.Fatalf("intent %+v", intent)
		}
		if st := status(t, s.do(t, s.buyer, "sandboxPay", o.ID)); st != "PAID" {
			t.Fatalf("after payment: %s", st)
		}
		if r := s.do(t, s.buyer, "shipOrder", o.ID); r.Code() != "FORBIDDEN" {
			t.Fatalf("buyer ships: %+v", r.Errors)
		}
		if r := s.do(t, lone, "cancelOrder", o.ID); r.Code() != "NOT_FOUND" {
			t.Fatalf("stranger cancels: %+v", r.Errors)
		}
		runnerID := e.UserID(t, seed.RunnerPhone)
		r = e.Post(t, s.merchant, `mutation($id: ID!, $c: ID) { o: shipOrder(id: $id, courierId: $c) { id status } }`,
			map[string]any{"id": o.ID, "c": e.Codec.EncodeID(runnerID)})
		if st := status(t, r); st != "SHIPPED" {
			t.Fatalf("ship: %s", st)
		}
		if r := s.do(t, s.buyer, "cancelOrder", o.ID); r.Code() != "INVALID_TRANSITION" {
			t.Fatalf("cancel after shipping: %+v", r.Errors)
		}

		// The merchant and the courier see masked name and phone, and may
		// reveal only the address; each reveal is audited.
		for _, who := range []string{s.merchant, s.runner} {
			r := e.Post(t, who, `query($id: ID!) { order(id: $id) { delivery { recipientName phone address @reveal } } }`, map[string]any{"id": o.ID})
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "紫荆公寓") || !strings.Contains(string(r.Data), "张**") ||
				strings.Contains(string(r.Data), buyer) {
				t.Fatalf("delivery for a processor: %s %+v", r.Data, r.Errors)
			}
			r = e.Post(t, who, `query($id: ID!) { order(id: $id) { delivery { phone @reveal(reason: "call") } } }`, map[string]any{"id": o.ID})
			if r.Code() != "FORBIDDEN" || strings.Contains(string(r.Data), buyer) {
				t.Fatalf("processor reveals the phone: %s %+v", r.Data, r.Errors)
			}
		}
		var acc struct {
			MySensitiveDataAccess []struct{ Field, ActorRole, Reason string }
		}
		e.Must(t, s.buyer, `{ mySensitiveDataAccess { field actorRole reason } }`, nil, &acc)
		if len(acc.MySensitiveDataAccess) != 2 || acc.MySensitiveDataAccess[0].Field != "Delivery.address" ||
			!strings.Contains(acc.MySensitiveDataAccess[0].Reason, o.OrderNo) {
			t.Fatalf("audit %+v", acc)
		}

		if st := status(t, s.do(t, s.runner, "markDelivered", o.ID)); st != "DELIVERED" {
			t.Fatalf("deliver: %s", st)
		}
		// Delivered: the address is no longer theirs to read.
		for _, who := range []string{s.merchant, s.runner} {
			r := e.Post(t, who, `query($id: ID!) { order(id: $id) { delivery { address @reveal } } }`, map[string]any{"id": o.ID})
			if r.Code() != "FORBIDDEN" || strings.Contains(string(r.Data), "紫荆公寓") {
				t.Fatalf("processor reveals after delivery: %s %+v", r.Data, r.Errors)
			}
		}
		if r := s.do(t, s.merchant, "confirmReceipt", o.ID); r.Code() != "FORBIDDEN" {
			t.Fatalf("merchant confirms receipt: %+v", r.Errors)
		}
		if st := status(t, s.do(t, s.buyer, "confirmReceipt", o.ID)); st != "COMPLETED" {
			t.Fatalf("complete: %s", st)
		}

		// D1: merchant, payment provider and courier each got a ledger record.
		var led struct {
			MySharingRecords []struct{ Recipient, Purpose, DataCategories, Reference string }
		}
		e.Must(t, s.buyer, `{ mySharingRecords { recipient purpose dataCategories reference } }`, nil, &led)
		got := map[string]bool{}
		for _, l := range led.MySharingRecords {
			if l.Reference == o.OrderNo {
				got[l.Purpose] = true
			}
		}
		if !got["SHARE_MERCHANT"] || !got["SHARE_PAYMENT"] || !got["SHARE_COURIER"] || len(led.MySharingRecords) != 3 {
			t.Fatalf("ledger %+v", led.MySharingRecords)
		}

		// Orders are not nodes: another user learns nothing from an order id.
		if r := e.Post(t, lone, `query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": o.ID}); r.Code() != "NOT_FOUND" {
			t.Fatalf("stranger reads the order: %+v", r.Errors)
		}
		if r := e.Post(t, lone, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": o.ID}); r.Code() == "" {
			t.Fatalf("node(order id) answered: %s", r.Data)
		}
		raw, _ := json.Marshal(led)
		if strings.Contains(string(raw), buyer) {
			t.Fatal("the ledger shows the phone number")
		}
	})
}

func TestOrderInputIsChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		for name, in := range map[string]map[string]any{
			"short key":     {"idempotencyKey": "k", "addressId": s.addressID, "lines": []map[string]any{{"productId": s.productID, "quantity": 1}}},
			"no lines":      {"idempotencyKey": "key-00000002", "addressId": s.addressID, "lines": []map[string]any{}},
			"zero quantity": {"idempotencyKey": "key-00000003", "addressId": s.addressID, "lines": []map[string]any{{"productId": s.productID, "quantity": 0}}},
			"too many":      {"idempotencyKey": "key-00000004", "addressId": s.addressID, "lines": []map[string]any{{"productId": s.productID, "quantity": 10000}}},
		} {
			r := s.e.Post(t, s.buyer, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": in})
			if r.Code() != "BAD_USER_INPUT" && r.Code() != "OUT_OF_STOCK" {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		r := s.e.Post(t, s.buyer, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"idempotencyKey": "key-00000005", "addressId": s.addressID, "lines": []map[string]any{{"productId": s.studentOnlyID, "quantity": 1}}}})
		if r.Code() != "STUDENT_VERIFICATION_REQUIRED" {
			t.Fatalf("student-only product: %+v", r.Errors)
		}
		if n := db.Client.Order.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d orders written by refused requests", n)
		}
		// A verified student may buy it.
		v, err := s.e.Auth.Authenticate(t.Context(), s.buyer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.e.Services.Students.Submit(t.Context(), v, studentverify.Request{
			Name: "张小明", IDNumber: idcard.Make("110108", time.Date(2004, 5, 6, 0, 0, 0, 0, time.UTC), 1),
			School: "清华大学", CHSICode: "TESTOK123456", CardPhoto: testdb.Photo(),
		}); err != nil {
			t.Fatal(err)
		}
		r = s.e.Post(t, s.buyer, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { status } }`, map[string]any{"in": map[string]any{
			"idempotencyKey": "key-00000006", "addressId": s.addressID, "lines": []map[string]any{{"productId": s.studentOnlyID, "quantity": 1}}}})
		if len(r.Errors) > 0 {
			t.Fatalf("verified student: %+v", r.Errors)
		}
	})
}

// S6: handing an order to a courier needs the buyer's SHARE_COURIER consent
// as it is at shipping; withdrawn since ordering, the merchant ships without
// a courier, and no courier is recorded in the ledger.
func TestCourierNeedsTheBuyersConsentNow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		_, o := s.place(t, "courier-0001", 1)
		if st := status(t, s.do(t, s.buyer, "sandboxPay", o.ID)); st != "PAID" {
			t.Fatal(st)
		}
		e.Must(t, s.buyer, `mutation { withdrawConsent(purpose: SHARE_COURIER, channel: SETTINGS) { granted } }`, nil, nil)
		ship := `mutation($id: ID!, $c: ID) { o: shipOrder(id: $id, courierId: $c) { id status } }`
		runner := e.Codec.EncodeID(e.UserID(t, seed.RunnerPhone))
		if r := e.Post(t, s.merchant, ship, map[string]any{"id": o.ID, "c": runner}); r.Code() != "FORBIDDEN" {
			t.Fatalf("courier without consent: %s %+v", r.Data, r.Errors)
		}
		if st := status(t, e.Post(t, s.merchant, ship, map[string]any{"id": o.ID})); st != "SHIPPED" {
			t.Fatalf("ship without a courier: %s", st)
		}
		if n := db.Client.SharingRecord.Query().Where(sharingrecord.Purpose(pii.ShareCourier)).CountX(t.Context()); n != 0 {
			t.Fatalf("%d courier hand-overs recorded", n)
		}
	})
}

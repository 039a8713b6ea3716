package app_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// The clock given to app.Build is the resolvers' clock too: sandboxPay
// signs the provider's callback at the resolvers' now and the orders
// service checks it (±5 minutes) at its own, and the callback's paid time
// becomes the order's paidAt. With the resolvers on another clock (as when
// the wiring set time.Now for them) the signature is refused.
func TestResolversUseTheInjectedClock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		at := time.Now().Add(3 * time.Hour).Truncate(time.Second).UTC()
		clock := testdb.NewClock(at)
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		e.Seed(t)
		const buyer = "13700000031"
		token := e.Login(t, buyer)
		e.Grant(t, token, "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT")
		var a struct{ CreateAddress struct{ ID string } }
		e.Must(t, token, `mutation { createAddress(input: {recipientName: "张小明", phone: "13700000031", address: "北京市海淀区清华园紫荆公寓 3 号楼 502"}) { id } }`, nil, &a)
		p := db.Client.Product.Query().Where(product.StudentOnly(false), product.StockGTE(1)).FirstX(t.Context())
		var placed struct{ PlaceOrder struct{ ID string } }
		e.Must(t, token, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"idempotencyKey": "clock-test-1", "addressId": a.CreateAddress.ID,
			"lines": []map[string]any{{"productId": e.Codec.EncodeID(p.ID), "quantity": 1}},
		}}, &placed)

		r := e.Post(t, token, `mutation($id: ID!) { sandboxPay(id: $id) { status paidAt } }`, map[string]any{"id": placed.PlaceOrder.ID})
		if len(r.Errors) > 0 {
			t.Fatalf("sandboxPay (the resolvers' clock is not the injected one?): %+v", r.Errors)
		}
		var paid struct {
			SandboxPay struct {
				Status string
				PaidAt time.Time
			}
		}
		r.Decode(t, &paid)
		if got := paid.SandboxPay; got.Status != "PAID" || !got.PaidAt.Equal(at) {
			t.Fatalf("paid %+v, want PAID at the injected clock's %v", got, at)
		}
	})
}

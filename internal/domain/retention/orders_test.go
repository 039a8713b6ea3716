package retention_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/orderitem"
	"github.com/tongxue/tongxue/ent/paymentcallback"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

// T1: an order is kept 3 years from when it closed (completed, cancelled by
// the buyer, or expired unpaid), then deleted with its items, status events
// and payment callbacks; an order still open is never deleted.
func TestOrdersAreDeletedThreeYearsAfterTheyClose(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		e, ctx := f.e, f.ctx()
		e.Seed(t)
		buyer, shop := e.Login(t, "13700000001"), e.Login(t, seed.MerchantPhone)
		e.Grant(t, buyer, "SHARE_MERCHANT", "SHARE_COURIER", "SHARE_PAYMENT")
		var a struct{ CreateAddress struct{ ID string } }
		e.Must(t, buyer, `mutation { createAddress(input: {recipientName: "张小明", phone: "13700000001", address: "北京市海淀区清华园紫荆公寓 3 号楼 502"}) { id } }`, nil, &a)
		p := db.Client.Product.Query().Where(product.HasMerchantWith(merchant.OwnerIDNotNil()),
			product.StudentOnly(false), product.StockGTE(10)).FirstX(ctx)
		place := func(key string) string {
			var out struct{ PlaceOrder struct{ ID string } }
			e.Must(t, buyer, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"idempotencyKey": "retention-" + key, "addressId": a.CreateAddress.ID,
				"lines": []map[string]any{{"productId": e.Codec.EncodeID(p.ID), "quantity": 2}}}}, &out)
			return out.PlaceOrder.ID
		}
		move := func(token, mutation, id string) {
			e.Must(t, token, `mutation($id: ID!) { `+mutation+`(id: $id) { status } }`, map[string]any{"id": id}, nil)
		}
		get := func(id string) *ent.Order {
			n, err := e.Codec.DecodeID(id)
			if err != nil {
				t.Fatal(err)
			}
			return db.Client.Order.GetX(ctx, n)
		}

		completed := place("completed")
		move(buyer, "sandboxPay", completed)
		move(shop, "shipOrder", completed)
		move(shop, "markDelivered", completed)
		move(buyer, "confirmReceipt", completed)
		open := place("open")
		move(buyer, "sandboxPay", open)
		f.clock.Add(day)
		cancelled := place("cancelled")
		move(buyer, "cancelOrder", cancelled)
		unpaid := place("unpaid")
		f.clock.Add(time.Hour) // past the payment window
		if _, err := e.Services.Orders.ExpireUnpaid(ctx, 10); err != nil {
			t.Fatal(err)
		}

		keep := f.keep(order.Table, "")
		for _, c := range []struct {
			id     string
			closed time.Time
		}{{completed, f.t0}, {cancelled, f.t0.Add(day)}, {unpaid, f.t0.Add(day + time.Hour)}} {
			o := get(c.id)
			if o.ClosedAt == nil || !o.ClosedAt.Equal(c.closed) || o.RetainUntil == nil || !o.RetainUntil.Equal(keep.For.After(c.closed)) {
				t.Fatalf("%s order: closed_at %v, retain_until %v; want %s and %s", o.Status, o.ClosedAt, o.RetainUntil,
					c.closed, keep.For.After(c.closed))
			}
		}
		if o := get(open); o.ClosedAt != nil || o.RetainUntil != nil {
			t.Fatalf("an open order has closed_at %v", o.ClosedAt)
		}
		done := get(completed)
		items := db.Client.OrderItem.Query().Where(orderitem.OrderID(done.ID)).CountX(ctx)
		events := db.Client.OrderEvent.Query().Where(orderevent.OrderID(done.ID)).CountX(ctx)
		calls := db.Client.PaymentCallback.Query().Where(paymentcallback.OrderID(done.ID)).CountX(ctx)
		if items == 0 || events < 4 || calls == 0 {
			t.Fatalf("the completed order has %d items, %d events, %d callbacks", items, events, calls)
		}

		if rep := f.runAt(keep.For.After(f.t0).Add(-day)); rep.Rows("orders", order.Table) != 0 {
			t.Fatalf("a day before 3 years: %+v", rep.Counts)
		}
		if n := db.Client.Order.Query().CountX(ctx); n != 4 {
			t.Fatalf("%d orders left a day before 3 years, want 4", n)
		}
		rep := f.runAt(keep.For.After(f.t0).Add(day))
		if got := [4]int{rep.Rows("orders", order.Table), rep.Rows("orders", orderitem.Table),
			rep.Rows("orders", orderevent.Table), rep.Rows("orders", paymentcallback.Table)}; got != [4]int{1, items, events, calls} {
			t.Fatalf("a day after 3 years deleted %v, want [1 %d %d %d]", got, items, events, calls)
		}
		if db.Client.Order.Query().Where(order.ID(done.ID)).ExistX(ctx) ||
			db.Client.OrderItem.Query().Where(orderitem.OrderID(done.ID)).ExistX(ctx) ||
			db.Client.OrderEvent.Query().Where(orderevent.OrderID(done.ID)).ExistX(ctx) ||
			db.Client.PaymentCallback.Query().Where(paymentcallback.OrderID(done.ID)).ExistX(ctx) {
			t.Fatal("the completed order or part of it is still there")
		}
		// The buyer's cancellation closed a day later: kept until its own 3 years.
		if n := db.Client.Order.Query().CountX(ctx); n != 3 {
			t.Fatalf("%d orders left, want the cancelled, the expired and the open one", n)
		}
		f.runAt(keep.For.After(f.t0.Add(day + time.Hour)).Add(day))
		left := db.Client.Order.Query().AllX(ctx)
		if len(left) != 1 || left[0].ID != get(open).ID {
			t.Fatalf("after the cancelled and the expired order's 3 years, left %d orders", len(left))
		}
	})
}

package orders_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

const (
	orderSub    = `subscription($id: ID!, $after: ID) { orderStatusChanged(orderId: $id, after: $after) { id orderID status previousStatus actor at } }`
	myOrdersSub = `subscription($after: ID) { myOrderUpdates(after: $after) { id orderID status previousStatus actor } }`
	shopSub     = `subscription { merchantOrderUpdates { id orderID status previousStatus actor } }`
)

type event struct{ ID, OrderID, Status, PreviousStatus, Actor string }

// subscribe opens an authenticated graphql-transport-ws subscription.
func subscribe(t *testing.T, e *apitest.Env, token, query string, vars map[string]any) *apitest.WS {
	t.Helper()
	ws := e.Socket(t, token)
	ws.Send("subscribe", "1", map[string]any{"query": query, "variables": vars})
	return ws
}

func next(t *testing.T, ws *apitest.WS) event {
	t.Helper()
	m := ws.Expect("next")
	var p struct {
		Data   map[string]event
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		t.Fatalf("payload %s", m.Payload)
	}
	for _, e := range p.Data {
		return e
	}
	t.Fatalf("empty payload %s", m.Payload)
	return event{}
}

// Live order status: the buyer and the merchant hear each committed change;
// a stranger cannot subscribe; payloads carry no personal data.
func TestLiveOrderStatus(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		_, o := s.place(t, "live-0001", 1)
		buyerWS := subscribe(t, e, s.buyer, orderSub, map[string]any{"id": o.ID})
		shopWS := subscribe(t, e, s.merchant, shopSub, nil)
		mineWS := subscribe(t, e, s.buyer, myOrdersSub, nil)

		stranger := subscribe(t, e, e.Login(t, other), orderSub, map[string]any{"id": o.ID})
		if m := stranger.Expect("next"); !strings.Contains(string(m.Payload), `"code":"NOT_FOUND"`) || strings.Contains(string(m.Payload), `"status"`) {
			t.Fatalf("stranger: %s", m.Payload)
		}

		e.Listening(t, 3) // the stranger's never subscribes
		s.do(t, s.buyer, "sandboxPay", o.ID)
		s.do(t, s.merchant, "shipOrder", o.ID)
		for _, ws := range []*apitest.WS{buyerWS, shopWS, mineWS} {
			paid, shipped := next(t, ws), next(t, ws)
			if paid.Status != "PAID" || paid.OrderID != o.ID || paid.Actor != "PAYMENT" || paid.PreviousStatus != "AWAITING_PAYMENT" ||
				shipped.Status != "SHIPPED" || shipped.Actor != "MERCHANT" || shipped.PreviousStatus != "PAID" {
				t.Fatalf("events %+v %+v", paid, shipped)
			}
		}
	})
}

// Nothing lost on reconnect: a subscriber passes the last event id it saw and
// first gets what it missed, in order, then live events.
func TestReplayAfterReconnect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		_, o := s.place(t, "replay-0001", 1)
		ws := subscribe(t, e, s.buyer, orderSub, map[string]any{"id": o.ID})
		e.Listening(t, 1)
		s.do(t, s.buyer, "sandboxPay", o.ID)
		seen := next(t, ws)
		ws.Conn.Close() // the phone loses its connection

		s.do(t, s.merchant, "shipOrder", o.ID)
		s.do(t, s.runner, "markDelivered", o.ID) // not the courier: refused, no event
		s.do(t, s.merchant, "markDelivered", o.ID)

		ws = subscribe(t, e, s.buyer, orderSub, map[string]any{"id": o.ID, "after": seen.ID})
		if a, b := next(t, ws), next(t, ws); a.Status != "SHIPPED" || b.Status != "DELIVERED" {
			t.Fatalf("replayed %+v %+v", a, b)
		}
		s.do(t, s.buyer, "confirmReceipt", o.ID)
		if c := next(t, ws); c.Status != "COMPLETED" {
			t.Fatalf("live after replay %+v", c)
		}
		// From the beginning: every event, in order.
		all := subscribe(t, e, s.buyer, orderSub, map[string]any{"id": o.ID, "after": e.Codec.EncodeID(1)})
		var got []string
		for range 5 {
			got = append(got, next(t, all).Status)
		}
		if strings.Join(got, ",") != "AWAITING_PAYMENT,PAID,SHIPPED,DELIVERED,COMPLETED" {
			t.Fatalf("history %v", got)
		}
	})
}

// Every subscription goroutine ends with its connection: open and close
// 1,000 subscriptions and the goroutine count returns to where it was.
func TestSubscriptionsLeakNoGoroutines(t *testing.T) {
	db := testdb.Open(t, "sqlite3", testdb.Options{})
	s := newShop(t, db)
	e := s.e
	runtime.GC()
	before := runtime.NumGoroutine()
	const conns, perConn = 20, 50
	var all []*apitest.WS
	for range conns {
		ws := e.Socket(t, s.buyer)
		for i := range perConn {
			ws.Send("subscribe", string(rune('a'+i%26))+string(rune('a'+i/26)), map[string]any{"query": myOrdersSub})
		}
		all = append(all, ws)
	}
	e.Listening(t, conns*perConn)
	during := runtime.NumGoroutine()
	if during < before+conns*perConn {
		t.Fatalf("only %d goroutines for %d subscriptions (from %d)", during, conns*perConn, before)
	}
	for _, ws := range all {
		ws.Conn.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d with 1,000 subscriptions, %d after closing\n%s", before, during, after, buf[:n])
	}
}

// Any instance: two servers on one PostgreSQL, each with its own LISTEN
// connection; a subscriber on A hears a change made through B.
func TestTwoInstances(t *testing.T) {
	a, b := apitest.TwoInstances(t)
	s := shopOn(t, a.DB, a)
	_, o := s.place(t, "two-0001", 1)

	ws := subscribe(t, a, s.buyer, orderSub, map[string]any{"id": o.ID})
	a.Listening(t, 1)
	bShop := &shop{e: b, buyer: s.buyer}
	if st := status(t, bShop.do(t, s.buyer, "sandboxPay", o.ID)); st != "PAID" {
		t.Fatalf("pay through B: %s", st)
	}
	if ev := next(t, ws); ev.Status != "PAID" || ev.OrderID != o.ID {
		t.Fatalf("A heard %+v", ev)
	}
}

// An account that runs two shops names the one whose orders it follows;
// nobody follows a shop they do not run.
func TestMerchantWithTwoShops(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		e := s.e
		pid, _ := e.Codec.DecodeID(s.productID)
		first := db.Client.Product.GetX(t.Context(), pid).MerchantID
		owner := e.UserID(t, seed.MerchantPhone)
		second := db.Client.Merchant.Create().SetName("第二家店").SetCampus("东区").SetLocation("东区食堂二楼").
			SetOwnerID(owner).SaveX(t.Context())
		other := db.Client.Merchant.Query().Where(merchant.IDNotIn(first, second.ID)).FirstIDX(t.Context())
		const q = `subscription($m: ID) { merchantOrderUpdates(merchantId: $m) { orderID status } }`

		if m := subscribe(t, e, s.merchant, q, nil).Expect("next"); !strings.Contains(string(m.Payload), "BAD_USER_INPUT") {
			t.Fatalf("two shops, none named: %s", m.Payload)
		}
		if m := subscribe(t, e, s.merchant, q, map[string]any{"m": e.Codec.EncodeID(other)}).Expect("next"); !strings.Contains(string(m.Payload), "NOT_FOUND") {
			t.Fatalf("someone else's shop: %s", m.Payload)
		}
		ws := subscribe(t, e, s.merchant, q, map[string]any{"m": e.Codec.EncodeID(first)})
		e.Listening(t, 1)
		_, o := s.place(t, "two-shops-0001", 1)
		s.do(t, s.buyer, "sandboxPay", o.ID)
		if m := ws.Expect("next"); !strings.Contains(string(m.Payload), o.ID) || !strings.Contains(string(m.Payload), "AWAITING_PAYMENT") {
			t.Fatalf("named shop: %s", m.Payload)
		}
	})
}

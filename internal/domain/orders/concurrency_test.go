package orders_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	entorder "github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/paymentcallback"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/payment"
)

// 50 buyers race for the last 10 units: exactly 10 orders succeed and the
// stock ends at zero, on SQLite and on PostgreSQL.
func TestLastUnitsUnderConcurrency(t *testing.T) {
	testdb.EachWith(t, testdb.Options{MaxOpenConns: 20}, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Seed(t)
		p := db.Client.Product.Query().FirstX(t.Context())
		db.Client.Product.UpdateOne(p).SetStock(10).ExecX(t.Context())
		const buyers = 50
		viewers := make([]*auth.Viewer, buyers)
		addrs := make([]int, buyers)
		for i := range buyers {
			hash, sealed := account.SealPhone(e.Keys, fmt.Sprintf("1360000%04d", i))
			u := db.Client.User.Create().SetPhoneHash(hash).SetPhoneCipher(sealed).SetNickname("买家").
				SetBirthDate(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)).SaveX(t.Context())
			viewers[i] = &auth.Viewer{UserID: u.ID, Role: u.Role}
			a, err := e.Services.Addresses.Create(t.Context(), u.ID, address.Input{RecipientName: "李四", Phone: "13900000000", Address: "上海市杨浦区邯郸路 220 号"})
			if err != nil {
				t.Fatal(err)
			}
			addrs[i] = a.ID
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		start := make(chan struct{})
		for i := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.Services.Orders.Place(t.Context(), viewers[i], e.Services.Addresses, orders.PlaceInput{
					Lines: []orders.Line{{ProductID: p.ID, Quantity: 1}}, AddressID: addrs[i], IdempotencyKey: fmt.Sprintf("race-%04d", i)})
				mu.Lock()
				codes[string(apperr.CodeOf(err))+map[bool]string{true: ":ok"}[err == nil]]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if codes["INTERNAL:ok"] != 10 || codes["OUT_OF_STOCK"] != 40 {
			t.Fatalf("outcomes %v, want 10 orders and 40 OUT_OF_STOCK", codes)
		}
		if got := db.Client.Product.GetX(t.Context(), p.ID).Stock; got != 0 {
			t.Fatalf("stock %d", got)
		}
		if n := db.Client.Order.Query().CountX(t.Context()); n != 10 {
			t.Fatalf("%d orders", n)
		}
	})
}

// Unpaid orders are cancelled after the payment window and their stock
// returned; a paid one is left alone.
func TestUnpaidOrdersExpire(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{PaymentWindow: 50 * time.Millisecond})
		s := shopOn(t, db, e)
		pid, _ := e.Codec.DecodeID(s.productID)
		stock0 := db.Client.Product.GetX(t.Context(), pid).Stock
		_, unpaid := s.place(t, "expire-0001", 2)
		_, paid := s.place(t, "expire-0002", 1)
		if st := status(t, s.do(t, s.buyer, "sandboxPay", paid.ID)); st != "PAID" {
			t.Fatal(st)
		}
		time.Sleep(100 * time.Millisecond)
		n, err := e.Services.Orders.ExpireUnpaid(t.Context(), 100)
		if err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		id, _ := e.Codec.DecodeID(unpaid.ID)
		if o := db.Client.Order.GetX(t.Context(), id); o.Status != entorder.StatusCANCELLED {
			t.Fatalf("status %s", o.Status)
		}
		if got := db.Client.Product.GetX(t.Context(), pid).Stock; got != stock0-1 {
			t.Fatalf("stock %d, want %d (2 returned, 1 sold)", got, stock0-1)
		}
		ev := db.Client.OrderEvent.Query().Where(orderevent.OrderID(id), orderevent.Status("CANCELLED")).OnlyX(t.Context())
		if ev.Actor != orderevent.ActorSYSTEM || ev.PreviousStatus != "AWAITING_PAYMENT" {
			t.Fatalf("event %+v", ev)
		}
		if n, _ := e.Services.Orders.ExpireUnpaid(t.Context(), 100); n != 0 {
			t.Fatalf("expired again: %d", n)
		}
	})
}

// S5: the provider's callback endpoint checks the signature and the time,
// and applies each notification once.
func TestPaymentCallbackEndpoint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		s := shopOn(t, db, e)
		_, o := s.place(t, "callback-0001", 1)
		id, _ := e.Codec.DecodeID(o.ID)
		post := func(provider string, h http.Header, body []byte) int {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+orders.CallbackPath+provider, strings.NewReader(string(body)))
			for k, v := range h {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		now := time.Now()
		h, body := e.Payment.SignedCallback(o.OrderNo, "sbx-1", int64(o.TotalFen), payment.StatusFailed, now)
		if c := post("sandbox", h, body); c != 200 || db.Client.Order.GetX(t.Context(), id).Status != entorder.StatusAWAITING_PAYMENT {
			t.Fatalf("failed payment: %d", c)
		}
		// Another amount: acknowledged (or the provider resends it for a day)
		// and kept on record for a refund, but the order is not paid.
		h, body = e.Payment.SignedCallback(o.OrderNo, "sbx-1", int64(o.TotalFen)+1, payment.StatusPaid, now)
		if c := post("sandbox", h, body); c != 200 || db.Client.Order.GetX(t.Context(), id).Status != entorder.StatusAWAITING_PAYMENT ||
			!db.Client.PaymentCallback.Query().Where(paymentcallback.OrderID(id), paymentcallback.Status(orders.AmountMismatch)).ExistX(t.Context()) {
			t.Fatalf("wrong amount: %d", c)
		}
		stale, sb := e.Payment.SignedCallback(o.OrderNo, "sbx-1", int64(o.TotalFen), payment.StatusPaid, now.Add(-6*time.Minute))
		if c := post("sandbox", stale, sb); c != 401 {
			t.Fatalf("stale: %d", c)
		}
		h, body = e.Payment.SignedCallback(o.OrderNo, "sbx-1", int64(o.TotalFen), payment.StatusPaid, now)
		other := "Z" // a different last character, whatever the number ends with
		if strings.HasSuffix(o.OrderNo, other) {
			other = "Y"
		}
		tampered := []byte(strings.Replace(string(body), o.OrderNo, o.OrderNo[:len(o.OrderNo)-1]+other, 1))
		if c := post("sandbox", h, tampered); c != 401 {
			t.Fatalf("tampered: %d", c)
		}
		if c := post("elsewhere", h, body); c != 404 {
			t.Fatalf("unknown provider: %d", c)
		}
		if db.Client.Order.GetX(t.Context(), id).Status != entorder.StatusAWAITING_PAYMENT {
			t.Fatal("a refused callback moved the order")
		}
		// The valid one, then the same again: one PAID event.
		for range 3 {
			if c := post("sandbox", h, body); c != 200 {
				t.Fatalf("valid callback: %d", c)
			}
		}
		got := db.Client.Order.GetX(t.Context(), id)
		if got.Status != entorder.StatusPAID || got.PaidFen == nil || *got.PaidFen != int64(o.TotalFen) {
			t.Fatalf("order %+v", got)
		}
		if n := db.Client.OrderEvent.Query().Where(orderevent.OrderID(id), orderevent.Status("PAID")).CountX(t.Context()); n != 1 {
			t.Fatalf("%d PAID events", n)
		}
	})
}

// paidProvider answers as the provider does for an order paid on its side
// whose callback has not arrived yet.
type paidProvider struct{ payment.Provider }

func (paidProvider) CreatePayment(context.Context, payment.Request) (*payment.Intent, error) {
	return nil, &partner.Error{Partner: "payment provider", Status: 400, Code: payment.CodeOrderPaid, Message: "order paid"}
}

// Asking to pay an order the provider says is paid tells the buyer so (not
// "try again"); the callback then settles it.
func TestPayingAnOrderThatIsAlreadyPaid(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{Payment: func(s *payment.Sandbox) payment.Provider { return paidProvider{s} }})
		s := shopOn(t, db, e)
		_, o := s.place(t, "paid-0001", 1)
		r := e.Post(t, s.buyer, `mutation($id: ID!) { payOrder(id: $id) { providerRef } }`, map[string]any{"id": o.ID})
		if r.Code() != "ALREADY_PAID" {
			t.Fatalf("pay: %s %+v", r.Data, r.Errors)
		}
		h, body := e.Payment.SignedCallback(o.OrderNo, "sbx-9", int64(o.TotalFen), payment.StatusPaid, time.Now())
		if err := e.Services.Orders.HandleCallback(t.Context(), "sandbox", h, body); err != nil {
			t.Fatal(err)
		}
		id, _ := e.Codec.DecodeID(o.ID)
		if st := db.Client.Order.GetX(t.Context(), id).Status; st != entorder.StatusPAID {
			t.Fatalf("status %s", st)
		}
	})
}

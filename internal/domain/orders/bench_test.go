package orders_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/gorilla/websocket"

	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// benchShop is a seeded server on a backend, with the bus that backend uses
// in production (LISTEN/NOTIFY on PostgreSQL).
func benchShop(b *testing.B, backend string) *shop {
	b.Helper()
	opt := apitest.Options{}
	var db *store.DB
	if backend == dialect.Postgres {
		var bus pubsub.Bus
		db, bus = apitest.PostgresInstance(b, testdb.PostgresSchema(b), 40)
		opt.Bus = bus
	} else {
		db = testdb.Open(b, backend, testdb.Options{MaxOpenConns: 8})
	}
	return shopOn(b, db, apitest.New(b, db, opt))
}

func backends(b *testing.B, fn func(b *testing.B, backend string)) {
	for _, be := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[be], func(b *testing.B) {
			if be == dialect.Postgres {
				testdb.PostgresURL(b)
			}
			fn(b, be)
		})
	}
}

// BenchmarkFanout: 1,000 websocket subscribers of one merchant's order
// stream; the time from the status change (its transaction started) to its
// delivery on every client, p50 and p99.
func BenchmarkFanout(b *testing.B) {
	backends(b, func(b *testing.B, backend string) {
		s := benchShop(b, backend)
		const clients = 1000
		conns := make([]*websocket.Conn, clients)
		var mu sync.Mutex
		var lat []time.Duration
		var sent atomic.Int64 // unix nanos of the change under way
		var got sync.WaitGroup
		for i := range conns {
			ws, _, err := s.e.DialWS(b, "graphql-transport-ws", nil)
			if err != nil {
				b.Fatal(err)
			}
			ws.Send("connection_init", "", map[string]any{"authToken": s.merchant})
			ws.Expect("connection_ack")
			ws.Send("subscribe", "1", map[string]any{"query": shopSub})
			conns[i] = ws.Conn
			go func(c *websocket.Conn) {
				for {
					_ = c.SetReadDeadline(time.Now().Add(time.Minute))
					var m struct {
						Type    string
						Payload struct {
							Data struct{ MerchantOrderUpdates struct{ Status string } }
						}
					}
					if c.ReadJSON(&m) != nil {
						return
					}
					if m.Type == "next" && m.Payload.Data.MerchantOrderUpdates.Status == "CANCELLED" {
						d := time.Since(time.Unix(0, sent.Load()))
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						got.Done()
					}
				}
			}(ws.Conn)
		}
		time.Sleep(500 * time.Millisecond)
		v, err := s.e.Auth.Authenticate(b.Context(), s.buyer)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			r, o := s.place(b, fmt.Sprintf("fanout-%d-%d", time.Now().UnixNano(), i), 1)
			if len(r.Errors) > 0 {
				b.Fatal(r.Errors)
			}
			id, _ := s.e.Codec.DecodeID(o.ID)
			got.Add(clients) // the cancellation, the measured change
			b.StartTimer()
			sent.Store(time.Now().UnixNano())
			if _, err := s.e.Services.Orders.Move(b.Context(), v, id, order.StatusCANCELLED, orders.MoveOptions{}); err != nil {
				b.Fatal(err)
			}
			got.Wait()
		}
		b.StopTimer()
		for _, c := range conns {
			c.Close()
		}
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		}
	})
}

// BenchmarkIdleSubscriptions holds 10,000 idle order subscriptions (100 per
// connection) and reports the memory they take, per subscription.
func BenchmarkIdleSubscriptions(b *testing.B) {
	backends(b, func(b *testing.B, backend string) {
		s := benchShop(b, backend)
		const conns, per = 100, 100
		for b.Loop() {
			before := memInUse()
			var all []*apitest.WS
			for range conns {
				ws, _, err := s.e.DialWS(b, "graphql-transport-ws", nil)
				if err != nil {
					b.Fatal(err)
				}
				ws.Send("connection_init", "", map[string]any{"authToken": s.buyer})
				ws.Expect("connection_ack")
				for i := range per {
					ws.Send("subscribe", fmt.Sprint(i), map[string]any{"query": myOrdersSub})
				}
				all = append(all, ws)
			}
			time.Sleep(2 * time.Second) // every subscription is up and idle
			during := memInUse()
			// Nothing went wrong: no error message on any connection.
			for _, ws := range all {
				_ = ws.Conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
				var m struct{ Type string }
				if err := ws.Conn.ReadJSON(&m); err == nil && m.Type != "ka" && m.Type != "ping" {
					b.Fatalf("unexpected %q on an idle subscription", m.Type)
				}
			}
			b.ReportMetric(float64(during-before)/float64(conns*per)/1024, "KiB/sub")
			b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
			for _, ws := range all {
				ws.Conn.Close()
			}
		}
	})
}

func memInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// BenchmarkPlaceOrder: placeOrder through the HTTP handler by 32 concurrent
// buyers, each its own account, over the merchant's products.
func BenchmarkPlaceOrder(b *testing.B) {
	backends(b, func(b *testing.B, backend string) {
		s := benchShop(b, backend)
		db := s.e.DB
		db.Client.Product.Update().Where(product.MerchantID(ownedShop(b, db))).SetStock(1_000_000).SetStudentOnly(false).ExecX(b.Context())
		ps := db.Client.Product.Query().Where(product.MerchantID(ownedShop(b, db))).IDsX(b.Context())
		const clients = 32
		type buyerT struct{ token, address string }
		buyers := make([]buyerT, clients)
		for i := range clients {
			tok := s.e.Login(b, fmt.Sprintf("1350000%04d", i))
			s.e.SkipCooldowns(b)
			s.e.Grant(b, tok, "SHARE_MERCHANT", "SHARE_COURIER")
			var a struct{ CreateAddress struct{ ID string } }
			s.e.Must(b, tok, addrIn, nil, &a)
			buyers[i] = buyerT{tok, a.CreateAddress.ID}
		}
		var n atomic.Int64
		b.ResetTimer()
		start := time.Now()
		b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			me := buyers[int(next.Add(1)-1)%clients]
			for i := 0; pb.Next(); i++ {
				k := n.Add(1)
				body, _ := json.Marshal(map[string]any{
					"query": `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { id } }`,
					"variables": map[string]any{"in": map[string]any{"idempotencyKey": fmt.Sprintf("bench-%d-%d", start.UnixNano(), k),
						"addressId": me.address, "lines": []map[string]any{{"productId": s.e.Codec.EncodeID(ps[int(k)%len(ps)]), "quantity": 1}}}},
				})
				req, _ := http.NewRequest(http.MethodPost, s.e.URL, strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+me.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var out struct{ Errors []any }
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if len(out.Errors) > 0 {
					b.Errorf("placeOrder: %v", out.Errors)
					return
				}
			}
		})
		b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "orders/s")
	})
}

package wsgorilla

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

// 7. Connections with live subscriptions, closed politely or dropped, leave
// no goroutines behind (handler, subscription, keep-alive/ping, closeOnCancel).
func TestNoGoroutineLeak(t *testing.T) {
	_, url := startServer(t, transport.Websocket{
		KeepAlivePingInterval: time.Minute,
		PingPongInterval:      time.Minute,
	})
	before := runtime.NumGoroutine()

	const n = 200
	conns := make([]*websocket.Conn, 0, n)
	for i := range n {
		proto, start := transportWS, "subscribe"
		if i%2 == 1 {
			proto, start = legacyWS, "start"
		}
		c := mustDial(t, url, proto)
		conns = append(conns, c)
		send(t, c, wire{Type: "connection_init"})
		expectType(t, read(t, c), "connection_ack", "")
		send(t, c, wire{Type: start, ID: "live", Payload: json.RawMessage(subscription)})
		// Messages are handled in order, so once this invalid operation is
		// answered the live subscription above is registered and running.
		send(t, c, wire{Type: start, ID: "bad", Payload: json.RawMessage(`{"query":"subscription { nope }"}`)})
		for m := readSkipping(t, c, "ka"); m.ID != "bad" || m.Type != "complete"; m = readSkipping(t, c, "ka") {
		}
	}
	peak := runtime.NumGoroutine()
	if peak < before+2*n {
		t.Fatalf("only %d goroutines with %d live connections (baseline %d)", peak, n, before)
	}

	for i, c := range conns {
		if i%4 == 0 {
			c.NetConn().Close() // dropped, no close frame
			continue
		}
		c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(ioTimeout))
		c.Close()
	}

	closed := time.Now()
	deadline := closed.Add(5 * time.Second)
	for {
		now := runtime.NumGoroutine()
		if now <= before+2 {
			t.Logf("goroutines: %d before, %d peak, %d after %v", before, peak, now, time.Since(closed))
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d now\n%s", before, now, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package wsgorilla

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

// errorSink collects the errors gqlgen reports through ErrorFunc.
type errorSink struct{ read, write chan error }

func newErrorSink() *errorSink {
	return &errorSink{read: make(chan error, 16), write: make(chan error, 64)}
}

func (s *errorSink) fn(_ context.Context, err error) {
	var we transport.WebsocketError
	if errors.As(err, &we) && we.IsReadError {
		s.read <- we.Err
		return
	}
	select {
	case s.write <- err:
	default:
	}
}

func (s *errorSink) noReadError(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.read:
		t.Fatalf("unexpected read error reported: %v", err)
	default:
	}
}

const subscription = `{"query":"subscription { name }"}`

// 1. graphql-transport-ws: init/ack, subscribe/next/complete, ping/pong.
func TestGraphQLTransportWS(t *testing.T) {
	closed := make(chan int, 1)
	errs := newErrorSink()
	h, url := startServer(t, transport.Websocket{
		CloseFunc: func(_ context.Context, code int) { closed <- code },
		ErrorFunc: errs.fn,
	})
	c := mustDial(t, url, transportWS)
	if got := c.Subprotocol(); got != transportWS {
		t.Fatalf("subprotocol = %q, want %q", got, transportWS)
	}

	send(t, c, wire{Type: "connection_init"})
	expectType(t, read(t, c), "connection_ack", "")

	send(t, c, wire{Type: "ping", Payload: json.RawMessage(`{"n":1}`)})
	pong := read(t, c)
	expectType(t, pong, "pong", "")
	expectJSON(t, pong.Payload, `{"n":1}`)

	send(t, c, wire{Type: "subscribe", ID: "sub1", Payload: json.RawMessage(subscription)})
	for range 3 {
		h.SendNextSubscriptionMessage()
		m := read(t, c)
		expectType(t, m, "next", "sub1")
		expectJSON(t, m.Payload, `{"data":{"name":"test"}}`)
	}
	h.SendCompleteSubscriptionMessage()
	expectType(t, read(t, c), "complete", "sub1")

	// A normal client close is echoed by gorilla and ends the connection
	// without gqlgen reporting a read error.
	if err := c.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"),
		time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	expectClose(t, c, "", websocket.CloseNormalClosure, "")
	if code := recv(t, closed, "CloseFunc"); code != websocket.CloseNormalClosure {
		t.Fatalf("CloseFunc code = %d, want 1000", code)
	}
	errs.noReadError(t)
}

// NextReader must map exactly the close codes the coder adapter maps (1000
// and "no status") to transport.ErrWebsocketClosed; anything else is a read
// error that gqlgen hands to ErrorFunc.
func TestPeerCloseMapping(t *testing.T) {
	for _, tc := range []struct {
		name       string
		close      func(*websocket.Conn) error
		reportCode int // 0: no read error must be reported
	}{
		{"normal closure", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(ioTimeout))
		}, 0},
		{"close without status", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.CloseMessage, nil, time.Now().Add(ioTimeout))
		}, 0},
		{"going away", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(ioTimeout))
		}, websocket.CloseGoingAway},
		{"tcp drop", func(c *websocket.Conn) error { return c.NetConn().Close() }, websocket.CloseAbnormalClosure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan int, 1)
			errs := newErrorSink()
			_, url := startServer(t, transport.Websocket{
				CloseFunc: func(_ context.Context, code int) { closed <- code },
				ErrorFunc: errs.fn,
			})
			c := mustDial(t, url, transportWS)
			send(t, c, wire{Type: "connection_init"})
			expectType(t, read(t, c), "connection_ack", "")
			if err := tc.close(c); err != nil {
				t.Fatal(err)
			}
			recv(t, closed, "CloseFunc")
			if tc.reportCode == 0 {
				errs.noReadError(t)
				return
			}
			err := recv(t, errs.read, "read error")
			if !websocket.IsCloseError(err, tc.reportCode) {
				t.Fatalf("read error = %v, want close code %d", err, tc.reportCode)
			}
		})
	}
}

// 2. Legacy graphql-ws, chosen when the client offers it, offers nothing, or
// offers only protocols the server does not speak.
func TestGraphQLWSLegacy(t *testing.T) {
	h, url := startServer(t, transport.Websocket{KeepAlivePingInterval: 50 * time.Millisecond})
	for _, tc := range []struct {
		name    string
		offered []string
		want    string
	}{
		{"no subprotocol", nil, ""},
		{"graphql-ws", []string{legacyWS}, legacyWS},
		{"unknown subprotocol", []string{"mqtt"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustDial(t, url, tc.offered...)
			if got := c.Subprotocol(); got != tc.want {
				t.Fatalf("subprotocol = %q, want %q", got, tc.want)
			}
			send(t, c, wire{Type: "connection_init"})
			expectType(t, read(t, c), "connection_ack", "")
			expectType(t, read(t, c), "ka", "") // sent right after the ack
			// ...and then every KeepAlivePingInterval.
			start := time.Now()
			expectType(t, read(t, c), "ka", "")
			expectType(t, read(t, c), "ka", "")
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Fatalf("two keep-alives within %v, want >= 1 interval", d)
			}

			send(t, c, wire{Type: "start", ID: "1", Payload: json.RawMessage(subscription)})
			h.SendNextSubscriptionMessage()
			m := readSkipping(t, c, "ka")
			expectType(t, m, "data", "1")
			expectJSON(t, m.Payload, `{"data":{"name":"test"}}`)

			send(t, c, wire{Type: "stop", ID: "1"})
			expectType(t, readSkipping(t, c, "ka"), "complete", "1")

			send(t, c, wire{Type: "connection_terminate"})
			expectClose(t, c, "ka", websocket.CloseNormalClosure, "terminated")
		})
	}
}

// 3. An InitFunc refusal closes with the code and reason put in its context;
// gqlgen's default is 1000 "terminated", not 4403.
func TestInitFuncRefusal(t *testing.T) {
	longReason := strings.Repeat("é", 100) // 200 bytes: must be cut on a rune boundary
	initFunc := func(reason string, code int) transport.WebsocketInitFunc {
		return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if p.Authorization() == "Bearer good" {
				return ctx, &transport.InitPayload{"user": "u1"}, nil
			}
			if code != 0 {
				ctx = transport.WithWebsocketCloseCode(ctx, code)
				ctx = transport.AppendCloseReason(ctx, reason)
			}
			// Must return a non-nil ctx even on error: gqlgen reads the
			// close code and reason from it.
			return ctx, nil, errors.New("invalid token")
		}
	}
	for _, tc := range []struct {
		name       string
		proto      string
		code       int
		reason     string
		wantCode   int
		wantReason string
	}{
		{"transport-ws 4403", transportWS, 4403, "Forbidden", 4403, "Forbidden"},
		{"graphql-ws 4403", legacyWS, 4403, "Forbidden", 4403, "Forbidden"},
		{"transport-ws default", transportWS, 0, "", 1000, "terminated"},
		{"long reason truncated", transportWS, 4403, longReason, 4403, strings.Repeat("é", 61)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan int, 4)
			_, url := startServer(t, transport.Websocket{
				InitFunc:  initFunc(tc.reason, tc.code),
				CloseFunc: func(_ context.Context, code int) { closed <- code },
			})

			c := mustDial(t, url, tc.proto)
			send(t, c, wire{Type: "connection_init", Payload: json.RawMessage(`{"Authorization":"Bearer bad"}`)})
			if tc.proto == legacyWS {
				// graphql-ws reports the error first; graphql-transport-ws
				// has no such message and only closes.
				m := read(t, c)
				expectType(t, m, "connection_error", "")
				expectJSON(t, m.Payload, `{"message":"invalid token"}`)
			}
			ce := readClose(t, c, "")
			if ce.Code != tc.wantCode || ce.Text != tc.wantReason {
				t.Fatalf("close = %d %q, want %d %q", ce.Code, ce.Text, tc.wantCode, tc.wantReason)
			}
			if !utf8.ValidString(ce.Text) || len(ce.Text) > maxCloseReason {
				t.Fatalf("bad close reason %q", ce.Text)
			}
			if code := recv(t, closed, "CloseFunc"); code != tc.wantCode {
				t.Fatalf("CloseFunc code = %d, want %d", code, tc.wantCode)
			}

			ok := mustDial(t, url, tc.proto)
			send(t, ok, wire{Type: "connection_init", Payload: json.RawMessage(`{"Authorization":"Bearer good"}`)})
			ack := read(t, ok)
			expectType(t, ack, "connection_ack", "")
			expectJSON(t, ack.Payload, `{"user":"u1"}`)
		})
	}
}

// 4. Refused origins get 403 and no upgrade; no Origin, same host and listed
// origins are served.
func TestOriginCheck(t *testing.T) {
	_, url := startServer(t, transport.Websocket{
		Implementation: New(Options{
			CheckOrigin: AllowOrigins([]string{"https://app.example.com", "*.trusted.test"}),
		}),
	})
	sameHost := "http://" + strings.TrimPrefix(url, "ws://")
	for _, tc := range []struct {
		origin string // "" means no Origin header
		ok     bool
	}{
		{"", true},
		{sameHost, true},
		{"https://app.example.com", true},
		{"https://App.Example.COM", true},
		{"http://a.trusted.test", true},
		{"http://app.example.com", false}, // scheme is part of that pattern
		{"https://evil.example", false},
		{"https://app.example.com.evil.example", false},
		{"null", false},
	} {
		t.Run("origin="+tc.origin, func(t *testing.T) {
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", tc.origin)
			}
			c, resp, err := dial(url, header, transportWS)
			if !tc.ok {
				if err != websocket.ErrBadHandshake || resp == nil || resp.StatusCode != http.StatusForbidden {
					t.Fatalf("want 403 bad handshake, got err=%v resp=%v", err, resp)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			send(t, c, wire{Type: "connection_init"})
			expectType(t, read(t, c), "connection_ack", "")
		})
	}

	for name, impl := range map[string]*Implementation{
		"zero Implementation": {},
		"New(Options{})":      New(Options{}),
	} {
		t.Run(name+" is same-origin", func(t *testing.T) {
			_, url := startServer(t, transport.Websocket{Implementation: impl})
			_, resp, err := dial(url, http.Header{"Origin": {"https://evil.example"}})
			if err != websocket.ErrBadHandshake || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("want 403, got err=%v resp=%v", err, resp)
			}
			c, _, err := dial(url, http.Header{"Origin": {"http://" + strings.TrimPrefix(url, "ws://")}}, transportWS)
			if err != nil {
				t.Fatalf("same-host dial: %v", err)
			}
			defer c.Close()
			send(t, c, wire{Type: "connection_init"})
			expectType(t, read(t, c), "connection_ack", "")
		})
	}
}

func TestAllowOrigins(t *testing.T) {
	check := AllowOrigins([]string{"app.example.com", "*.example.org", "https://secure.example.net:8443"})
	for _, tc := range []struct {
		origins []string // nil: header absent
		host    string
		want    bool
	}{
		{nil, "api.example.com", true},
		{[]string{"https://api.example.com"}, "API.example.com", true},
		{[]string{"https://api.example.com:444"}, "api.example.com", false},
		{[]string{"http://app.example.com"}, "api", true},
		{[]string{"http://app.example.com:8080"}, "api", false},
		{[]string{"https://x.y.example.org"}, "api", true},
		{[]string{"https://example.org"}, "api", false},
		{[]string{"https://secure.example.net:8443"}, "api", true},
		{[]string{"http://secure.example.net:8443"}, "api", false},
		{[]string{""}, "api", false},
		{[]string{"null"}, "api", false},
		{[]string{"app.example.com"}, "api", false}, // no scheme
		{[]string{"https://app.example.com", "https://evil"}, "api", false},
		{[]string{"http://%zz"}, "api", false},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://"+tc.host+"/query", nil)
		if tc.origins != nil {
			r.Header["Origin"] = tc.origins
		}
		if got := check(r); got != tc.want {
			t.Errorf("Origin %q Host %q: got %v, want %v", tc.origins, tc.host, got, tc.want)
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("malformed pattern did not panic")
		}
	}()
	AllowOrigins([]string{"[a-"})
}

// 5. PayloadReadLimit is enforced through SetReadLimit: gorilla closes 1009.
func TestPayloadReadLimit(t *testing.T) {
	limit := int64(1024)
	bigPing := func(n int) wire {
		return wire{Type: "ping", Payload: json.RawMessage(`{"pad":"` + strings.Repeat("x", n) + `"}`)}
	}

	t.Run("over limit closes", func(t *testing.T) {
		errs := newErrorSink()
		_, url := startServer(t, transport.Websocket{PayloadReadLimit: &limit, ErrorFunc: errs.fn})
		c := mustDial(t, url, transportWS)
		send(t, c, wire{Type: "connection_init"})
		expectType(t, read(t, c), "connection_ack", "")
		send(t, c, bigPing(900)) // under the limit: answered
		expectType(t, read(t, c), "pong", "")
		send(t, c, bigPing(2000)) // would be answered too, were it not limited
		expectClose(t, c, "", websocket.CloseMessageTooBig, "")
		if err := recv(t, errs.read, "read error"); !errors.Is(err, websocket.ErrReadLimit) {
			t.Fatalf("read error = %v, want ErrReadLimit", err)
		}
	})

	t.Run("over limit during init closes", func(t *testing.T) {
		_, url := startServer(t, transport.Websocket{PayloadReadLimit: &limit})
		c := mustDial(t, url, transportWS)
		send(t, c, wire{Type: "connection_init", Payload: json.RawMessage(`{"pad":"` + strings.Repeat("x", 2000) + `"}`)})
		expectClose(t, c, "", websocket.CloseMessageTooBig, "")
	})

	t.Run("-1 disables the 1MB default", func(t *testing.T) {
		off := int64(-1)
		_, url := startServer(t, transport.Websocket{PayloadReadLimit: &off})
		c := mustDial(t, url, transportWS)
		send(t, c, wire{Type: "connection_init"})
		expectType(t, read(t, c), "connection_ack", "")
		send(t, c, bigPing(1536*1024))
		pong := read(t, c)
		expectType(t, pong, "pong", "")
		if len(pong.Payload) < 1536*1024 {
			t.Fatalf("pong payload %d bytes", len(pong.Payload))
		}
	})
}

// 6. With PingPongInterval, gqlgen pings (JSON "ping") and arms a read
// deadline through SetReadDeadline; a pong clears it and the next tick
// re-arms it. A client that stops answering is dropped.
func TestPingPongTimeout(t *testing.T) {
	const interval = 100 * time.Millisecond
	setup := func(t *testing.T) (*websocket.Conn, chan int, *errorSink) {
		closed := make(chan int, 1)
		errs := newErrorSink()
		_, url := startServer(t, transport.Websocket{
			PingPongInterval: interval,
			CloseFunc:        func(_ context.Context, code int) { closed <- code },
			ErrorFunc:        errs.fn,
		})
		c := mustDial(t, url, transportWS)
		send(t, c, wire{Type: "connection_init"})
		expectType(t, read(t, c), "connection_ack", "")
		return c, closed, errs
	}
	// The transport sees the expired deadline as a timed-out read, then closes
	// with its generic 1000 "terminated".
	expectTimeoutClose := func(t *testing.T, c *websocket.Conn, closed chan int, errs *errorSink, since time.Time) {
		t.Helper()
		expectClose(t, c, "ping", websocket.CloseNormalClosure, "terminated")
		if d := time.Since(since); d < 2*interval {
			t.Fatalf("closed after %v, before the 2*interval deadline", d)
		}
		var ne net.Error
		if err := recv(t, errs.read, "read error"); !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read error = %v, want a timeout", err)
		}
		recv(t, closed, "CloseFunc")
	}

	t.Run("silent client is dropped", func(t *testing.T) {
		start := time.Now()
		c, closed, errs := setup(t)
		expectType(t, read(t, c), "ping", "")
		expectTimeoutClose(t, c, closed, errs, start)
	})

	t.Run("answering client stays until it goes silent", func(t *testing.T) {
		c, closed, errs := setup(t)
		start := time.Now()
		for range 6 { // well past the initial 2*interval deadline
			expectType(t, read(t, c), "ping", "")
			send(t, c, wire{Type: "pong"})
		}
		if d := time.Since(start); d < 4*interval {
			t.Fatalf("6 pings in %v", d)
		}
		expectTimeoutClose(t, c, closed, errs, time.Now())
	})
}

// WriteTimeout bounds a write to a peer that has stopped reading.
func TestWriteTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srvConn, _ := acceptDirect(t, New(Options{WriteTimeout: timeout}), transport.WebsocketAcceptOptions{})
	big := json.RawMessage(`"` + strings.Repeat("x", 1<<20) + `"`)

	done := make(chan error, 1)
	var last time.Duration
	go func() {
		for range 1000 { // loopback buffers hold a few MB at most
			start := time.Now()
			if err := srvConn.WriteJSON(big); err != nil {
				last = time.Since(start)
				done <- err
				return
			}
		}
		done <- nil
	}()
	err := recv(t, done, "the blocked write to fail")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write error = %v, want a timeout", err)
	}
	if last > timeout+2*time.Second {
		t.Fatalf("blocked write took %v", last)
	}
	start := time.Now()
	_ = srvConn.WriteClose(websocket.CloseNormalClosure, "")
	if d := time.Since(start); d > timeout+time.Second {
		t.Fatalf("WriteClose after a failed write took %v", d)
	}
}

// WriteJSON is serialised: gorilla panics on concurrent writers.
func TestConcurrentWrites(t *testing.T) {
	srvConn, client := acceptDirect(t, New(Options{}), transport.WebsocketAcceptOptions{
		ResponseHeader: http.Header{"X-Test": {"yes"}},
	})
	const writers, each = 16, 50
	for g := range writers {
		go func() {
			for i := range each {
				if err := srvConn.WriteJSON(map[string]int{"g": g, "i": i}); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
	}
	next := make([]int, writers)
	for range writers * each {
		client.SetReadDeadline(time.Now().Add(ioTimeout))
		var m struct{ G, I int }
		if err := client.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.I != next[m.G] {
			t.Fatalf("writer %d: got message %d, want %d", m.G, m.I, next[m.G])
		}
		next[m.G]++
	}
}

// Accept merges gqlgen's subprotocols after the configured ones (server
// preference order), passes ResponseHeader and leaves the config untouched.
func TestAccept(t *testing.T) {
	impl := New(Options{Subprotocols: []string{transportWS}})
	_, client := acceptDirect(t, impl, transport.WebsocketAcceptOptions{
		ResponseHeader: http.Header{"X-Test": {"yes"}},
		Subprotocols:   []string{legacyWS, transportWS},
	}, legacyWS, transportWS)
	if got := client.Subprotocol(); got != transportWS {
		t.Fatalf("configured preference: subprotocol = %q", got)
	}
	if len(impl.Upgrader.Subprotocols) != 1 {
		t.Fatalf("Accept mutated the configuration: %q", impl.Upgrader.Subprotocols)
	}

	_, client = acceptDirect(t, New(Options{}), transport.WebsocketAcceptOptions{
		Subprotocols: []string{legacyWS, transportWS},
	}, transportWS, legacyWS)
	if got := client.Subprotocol(); got != legacyWS {
		t.Fatalf("gqlgen's order: subprotocol = %q", got)
	}
}

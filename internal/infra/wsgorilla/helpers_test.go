package wsgorilla

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
	ioTimeout   = 5 * time.Second // upper bound for any single expected event
)

// wire is one protocol message as both graphql-ws and graphql-transport-ws
// put it on the wire.
type wire struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// startServer serves gqlgen's test schema with ws as its only transport. If
// ws.Implementation is nil, New(Options{}) is used.
func startServer(t *testing.T, ws transport.Websocket) (*testserver.TestServer, string) {
	t.Helper()
	if ws.Implementation == nil {
		ws.Implementation = New(Options{})
	}
	h := testserver.New()
	h.AddTransport(ws)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // runs after the clients' cleanups registered later
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(url string, header http.Header, subprotocols ...string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{Subprotocols: subprotocols, HandshakeTimeout: ioTimeout}
	c, resp, err := d.Dial(url, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return c, resp, err
}

func mustDial(t *testing.T, url string, subprotocols ...string) *websocket.Conn {
	t.Helper()
	c, _, err := dial(url, nil, subprotocols...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *websocket.Conn, m wire) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := c.WriteJSON(m); err != nil {
		t.Fatalf("write %s: %v", m.Type, err)
	}
}

func read(t *testing.T, c *websocket.Conn) wire {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	var m wire
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// readSkipping reads the next message whose type is not skip (e.g. "ka").
func readSkipping(t *testing.T, c *websocket.Conn, skip string) wire {
	t.Helper()
	for {
		if m := read(t, c); m.Type != skip {
			return m
		}
	}
}

func expectType(t *testing.T, m wire, typ, id string) {
	t.Helper()
	if m.Type != typ || m.ID != id {
		t.Fatalf("got {type:%q id:%q payload:%s}, want type %q id %q", m.Type, m.ID, m.Payload, typ, id)
	}
}

func expectJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("payload %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("payload = %s, want %s", gb, wb)
	}
}

// readClose reads until the connection fails, skipping messages of type skip,
// failing on any other message, and returns the close frame received.
func readClose(t *testing.T, c *websocket.Conn, skip string) *websocket.CloseError {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("want a close frame, got %v", err)
			}
			return ce
		}
		var m wire
		if json.Unmarshal(data, &m) != nil || m.Type != skip {
			if len(data) > 200 {
				data = append(data[:200:200], "..."...)
			}
			t.Fatalf("want close, got message %s", data)
		}
	}
}

func expectClose(t *testing.T, c *websocket.Conn, skip string, code int, text string) {
	t.Helper()
	ce := readClose(t, c, skip)
	if ce.Code != code || ce.Text != text {
		t.Fatalf("close = %d %q, want %d %q", ce.Code, ce.Text, code, text)
	}
}

// recv waits for a value on ch or fails.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ioTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// acceptDirect serves impl.Accept without gqlgen and returns both ends of one
// connection. It checks that opts.ResponseHeader reached the client.
func acceptDirect(t *testing.T, impl *Implementation, opts transport.WebsocketAcceptOptions, subprotocols ...string) (transport.WebsocketConn, *websocket.Conn) {
	t.Helper()
	accepted := make(chan transport.WebsocketConn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := impl.Accept(w, r, opts); err == nil {
			accepted <- c // the hijacked conn outlives the handler
		}
	}))
	t.Cleanup(srv.Close)
	client, resp, err := dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil, subprotocols...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	for k, v := range opts.ResponseHeader {
		if got := resp.Header.Values(k); strings.Join(got, ",") != strings.Join(v, ",") {
			t.Fatalf("response header %s = %q, want %q", k, got, v)
		}
	}
	server := recv(t, accepted, "Accept")
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

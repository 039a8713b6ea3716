package apitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// WS is a websocket GraphQL client for tests.
type WS struct {
	t        testing.TB
	Conn     *websocket.Conn
	autoPong bool
}

// AutoPong makes Read answer the server's pings itself.
func (w *WS) AutoPong() *WS { w.autoPong = true; return w }

// Message is one protocol message.
type Message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a websocket to the graph offering subprotocol ("" offers none).
func (e *Env) DialWS(t testing.TB, subprotocol string, header http.Header) (*WS, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if subprotocol != "" {
		d.Subprotocols = []string{subprotocol}
	}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(e.URL, "http"), header)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { c.Close() })
	return &WS{t: t, Conn: c}, resp, nil
}

// Send writes a message.
func (w *WS) Send(typ, id string, payload any) {
	w.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	if err := w.Conn.WriteJSON(m); err != nil {
		w.t.Fatalf("ws write: %v", err)
	}
}

// Read returns the next message that is not a keep-alive, or the read error
// (a close frame surfaces as *websocket.CloseError). It answers the
// server's pings as a live client does, or the server would hang up.
func (w *WS) Read(timeout time.Duration) (Message, error) {
	for {
		_ = w.Conn.SetReadDeadline(time.Now().Add(timeout))
		var m Message
		if err := w.Conn.ReadJSON(&m); err != nil {
			return m, err
		}
		switch {
		case m.Type == "ka":
			continue
		case m.Type == "ping" && w.Conn.Subprotocol() == "graphql-transport-ws" && w.autoPong:
			_ = w.Conn.WriteJSON(map[string]any{"type": "pong"})
			continue
		}
		return m, nil
	}
}

// Expect reads the next message and fails unless it has type typ.
func (w *WS) Expect(typ string) Message {
	w.t.Helper()
	m, err := w.Read(5 * time.Second)
	if err != nil {
		w.t.Fatalf("ws: waiting for %q: %v", typ, err)
	}
	if m.Type != typ {
		w.t.Fatalf("ws: got %q (%s), want %q", m.Type, m.Payload, typ)
	}
	return m
}

// Socket opens a graphql-transport-ws connection logged in with token, as
// the app does: connection_init carries the token, the server acknowledges.
func (e *Env) Socket(t testing.TB, token string) *WS {
	t.Helper()
	ws, _, err := e.DialWS(t, "graphql-transport-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Send("connection_init", "", map[string]any{"authToken": token})
	ws.Expect("connection_ack")
	return ws
}

// SocketWithHeader opens a graphql-transport-ws connection authenticated
// by the upgrade request's Authorization header instead, as browsers'
// libraries and some gateways do: connection_init carries no token.
func (e *Env) SocketWithHeader(t testing.TB, token string) *WS {
	t.Helper()
	ws, _, err := e.DialWS(t, "graphql-transport-ws", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	ws.Send("connection_init", "", map[string]any{})
	ws.Expect("connection_ack")
	return ws
}

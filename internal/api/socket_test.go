package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tongxue/tongxue/ent/session"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// A websocket lives for hours: each operation on it sees the session and
// the consents as they are now, not as they were at connection_init, and a
// logout closes it.
func TestSocketSeesWithdrawalAndLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340001")
		e.Grant(t, tok, "FEEDBACK")
		seesWithdrawalAndLogout(t, e, tok, e.Socket(t, tok))
	})
}

// The same for a socket authenticated by the upgrade request's
// Authorization header, its connection_init without a token: it is tied
// to its session just the same.
func TestHeaderSocketSeesWithdrawalAndLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340004")
		e.Grant(t, tok, "FEEDBACK")
		seesWithdrawalAndLogout(t, e, tok, e.SocketWithHeader(t, tok))
	})
}

func seesWithdrawalAndLogout(t *testing.T, e *apitest.Env, tok string, ws *apitest.WS) {
	t.Helper()
	if got := runOn(t, ws, "0", `{ me { id } }`); strings.Contains(got, "errors") || !strings.Contains(got, `"me":{"id"`) {
		t.Fatalf("signed in: %s", got)
	}
	feedback := `mutation { submitFeedback(input: {text: "食堂的菜太咸了", contactEmail: "a@example.com"}) { id } }`
	if got := runOn(t, ws, "1", feedback); strings.Contains(got, "errors") {
		t.Fatalf("with the consent: %s", got)
	}
	e.Must(t, tok, `mutation { withdrawConsent(purpose: FEEDBACK, channel: SETTINGS) { granted } }`, nil, nil)
	if got := runOn(t, ws, "2", feedback); !strings.Contains(got, "CONSENT_REQUIRED") {
		t.Fatalf("after withdrawing over HTTP: %s", got)
	}
	// A subscription is open when the phone logs out over HTTP: the
	// socket closes, so nothing more reaches it.
	ws.Send("subscribe", "4", map[string]any{"query": `subscription { wowReceived { id } }`})
	e.Listening(t, 1)
	e.Must(t, tok, `mutation { logout }`, nil, nil)
	expectClosed(t, ws)
	if n := e.Services.Sessions.Held(); n != 0 {
		t.Fatalf("%d sessions still held", n)
	}
}

// runOn runs a query or mutation on ws and returns its one payload.
func runOn(t *testing.T, ws *apitest.WS, id, query string) string {
	t.Helper()
	ws.Send("subscribe", id, map[string]any{"query": query})
	m := ws.Expect("next")
	ws.Expect("complete")
	return string(m.Payload)
}

// A session that ends between the upgrade (authenticated by its header)
// and connection_init does not get a socket.
func TestHeaderSocketRefusedWhenSessionEndedBeforeInit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340005")
		ws, _, err := e.DialWS(t, "graphql-transport-ws", http.Header{"Authorization": {"Bearer " + tok}})
		if err != nil {
			t.Fatal(err)
		}
		e.Must(t, tok, `mutation { logout }`, nil, nil)
		ws.Send("connection_init", "", map[string]any{})
		_, err = ws.Read(5 * time.Second)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4403 {
			t.Fatalf("connection_init after logout: %v", err)
		}
	})
}

// expectClosed reads until the server closes the socket; any data message
// before that is a leak.
func expectClosed(t *testing.T, ws *apitest.WS) {
	t.Helper()
	for {
		m, err := ws.Read(5 * time.Second)
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return
		case err != nil:
			t.Fatalf("socket not closed: %v", err)
		case m.Type == "next":
			t.Fatalf("after the session ended: %s", m.Payload)
		}
	}
}

// A socket, however authenticated, closes when its session expires,
// without any request.
func TestSocketClosesAtSessionExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340002")
		db.Client.Session.Update().Where(session.UserID(e.UserID(t, "13912340002"))).
			SetExpiresAt(time.Now().Add(3 * time.Second)).ExecX(t.Context())
		sockets := []*apitest.WS{e.Socket(t, tok), e.SocketWithHeader(t, tok)}
		for _, ws := range sockets {
			ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
		}
		for _, ws := range sockets {
			expectClosed(t, ws)
		}
	})
}

// A logout on one instance closes the user's socket on another (PostgreSQL
// LISTEN/NOTIFY between them).
func TestLogoutClosesSocketsOnEveryInstance(t *testing.T) {
	a, b := apitest.TwoInstances(t)
	tok := a.Login(t, "13912340003")
	sockets := []*apitest.WS{a.Socket(t, tok), a.SocketWithHeader(t, tok)}
	for _, ws := range sockets {
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
	}
	a.Listening(t, len(sockets))
	b.Must(t, tok, `mutation { logout }`, nil, nil)
	for _, ws := range sockets {
		expectClosed(t, ws)
	}
}

// Revoking an account's sessions (its cancellation, an operator's
// revocation) on one instance closes its sockets, however authenticated,
// on another, and the token no longer works.
func TestRevocationClosesSocketsOnEveryInstance(t *testing.T) {
	a, b := apitest.TwoInstances(t)
	const phone = "13912340006"
	tok := a.Login(t, phone)
	a.SkipCooldowns(t)
	other := a.Login(t, phone) // a second phone of the same account
	sockets := []*apitest.WS{a.Socket(t, tok), a.SocketWithHeader(t, tok), a.SocketWithHeader(t, other)}
	for _, ws := range sockets {
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
	}
	a.Listening(t, len(sockets))
	if err := b.Auth.EndSessions(t.Context(), b.UserID(t, phone)); err != nil {
		t.Fatal(err)
	}
	for _, ws := range sockets {
		expectClosed(t, ws)
	}
	if r := a.Post(t, other, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d %+v", r.Status, r.Errors)
	}
}

package api_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tongxue/tongxue/ent/session"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/testdb"
)

// A websocket lives for hours: each operation on it sees the session and
// the consents as they are now, not as they were at connection_init, and a
// logout closes it.
func TestSocketSeesWithdrawalAndLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340001")
		e.Grant(t, tok, "FEEDBACK")
		ws := e.Socket(t, tok)
		run := func(id, query string) string {
			t.Helper()
			ws.Send("subscribe", id, map[string]any{"query": query})
			m := ws.Expect("next")
			ws.Expect("complete")
			return string(m.Payload)
		}
		feedback := `mutation { submitFeedback(input: {text: "食堂的菜太咸了", contactEmail: "a@example.com"}) { id } }`
		if got := run("1", feedback); strings.Contains(got, "errors") {
			t.Fatalf("with the consent: %s", got)
		}
		e.Must(t, tok, `mutation { withdrawConsent(purpose: FEEDBACK, channel: SETTINGS) { granted } }`, nil, nil)
		if got := run("2", feedback); !strings.Contains(got, "CONSENT_REQUIRED") {
			t.Fatalf("after withdrawing over HTTP: %s", got)
		}
		// A subscription is open when the phone logs out over HTTP: the
		// socket closes, so nothing more reaches it.
		ws.Send("subscribe", "4", map[string]any{"query": `subscription { wowReceived { id } }`})
		e.Listening(t, 1)
		e.Must(t, tok, `mutation { logout }`, nil, nil)
		expectClosed(t, ws)
		if n := e.Deps.Sessions.Held(); n != 0 {
			t.Fatalf("%d sessions still held", n)
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

// A socket closes when its session expires, without any request.
func TestSocketClosesAtSessionExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340002")
		db.Client.Session.Update().Where(session.UserID(e.UserID(t, "13912340002"))).
			SetExpiresAt(time.Now().Add(3 * time.Second)).ExecX(t.Context())
		ws := e.Socket(t, tok)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
		expectClosed(t, ws)
	})
}

// A logout on one instance closes the user's socket on another (PostgreSQL
// LISTEN/NOTIFY between them).
func TestLogoutClosesSocketsOnEveryInstance(t *testing.T) {
	a, b := apitest.TwoInstances(t)
	tok := a.Login(t, "13912340003")
	ws := a.Socket(t, tok)
	ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id } }`})
	a.Listening(t, 1)
	b.Must(t, tok, `mutation { logout }`, nil, nil)
	expectClosed(t, ws)
}

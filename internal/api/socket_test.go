package api_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/testdb"
)

// A websocket lives for hours: each operation on it sees the session and
// the consents as they are now, not as they were at connection_init.
func TestSocketSeesWithdrawalAndLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, "13912340001")
		e.Grant(t, tok, "FEEDBACK")
		ws, _, err := e.DialWS(t, "graphql-transport-ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.Send("connection_init", "", map[string]any{"authToken": tok})
		ws.Expect("connection_ack")
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
		e.Must(t, tok, `mutation { logout }`, nil, nil)
		if got := run("3", `{ me { id } myConsents { granted } }`); !strings.Contains(got, "UNAUTHENTICATED") || strings.Contains(got, `"me":{`) {
			t.Fatalf("after logging out over HTTP: %s", got)
		}
	})
}

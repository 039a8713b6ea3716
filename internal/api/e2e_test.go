package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const phone = "13912345678"

// A user logs in over HTTP, queries, and opens an authenticated websocket.
func TestLoginQueryAndWebsocket(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		token := e.Login(t, phone)

		var me struct {
			Me struct {
				ID, Phone, BirthDate, Role string
				Profile                    struct{ ID, Nickname string }
			}
		}
		e.Post(t, token, `{ me { id phone birthDate role profile { id nickname } } }`, nil).Decode(t, &me)
		if me.Me.Phone != "139****5678" || me.Me.BirthDate != "2003-06-01" || me.Me.Role != "STUDENT" ||
			me.Me.Profile.Nickname != "测试同学" || me.Me.ID != me.Me.Profile.ID {
			t.Fatalf("me = %+v", me.Me)
		}
		var anon struct{ Me *struct{ ID string } }
		e.Post(t, "", `{ me { id } }`, nil).Decode(t, &anon)
		if anon.Me != nil {
			t.Fatal("anonymous me is not null")
		}

		query := map[string]any{"query": `{ me { profile { nickname } } }`}
		t.Run("graphql-transport-ws", func(t *testing.T) {
			ws, resp, err := e.DialWS(t, "graphql-transport-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Sec-Websocket-Protocol") != "graphql-transport-ws" {
				t.Fatalf("subprotocol %q", resp.Header.Get("Sec-Websocket-Protocol"))
			}
			ws.Send("connection_init", "", map[string]any{"authToken": token})
			ws.Expect("connection_ack")
			ws.Send("ping", "", nil)
			ws.Expect("pong")
			ws.Send("subscribe", "1", query)
			m := ws.Expect("next")
			if !strings.Contains(string(m.Payload), "测试同学") {
				t.Fatalf("payload %s", m.Payload)
			}
			ws.Expect("complete")
		})
		t.Run("graphql-ws", func(t *testing.T) {
			ws, resp, err := e.DialWS(t, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if p := resp.Header.Get("Sec-Websocket-Protocol"); p != "" && p != "graphql-ws" {
				t.Fatalf("subprotocol %q", p)
			}
			ws.Send("connection_init", "", map[string]any{"Authorization": "Bearer " + token})
			ws.Expect("connection_ack")
			ws.Send("start", "1", query)
			m := ws.Expect("data")
			if !strings.Contains(string(m.Payload), "测试同学") {
				t.Fatalf("payload %s", m.Payload)
			}
			ws.Expect("complete")
		})
		t.Run("bad token is refused with 4403", func(t *testing.T) {
			ws, _, err := e.DialWS(t, "graphql-transport-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.Send("connection_init", "", map[string]any{"authToken": "txs_forged"})
			_, err = ws.Read(5 * time.Second)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4403 {
				t.Fatalf("err = %v, want close 4403", err)
			}
		})
		t.Run("anonymous socket sees no account", func(t *testing.T) {
			ws, _, err := e.DialWS(t, "graphql-transport-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.Send("connection_init", "", nil)
			ws.Expect("connection_ack")
			ws.Send("subscribe", "1", map[string]any{"query": `{ me { id } }`})
			if m := ws.Expect("next"); string(m.Payload) != `{"data":{"me":null}}` {
				t.Fatalf("payload %s", m.Payload)
			}
		})
		t.Run("foreign origin is refused", func(t *testing.T) {
			_, resp, err := e.DialWS(t, "graphql-transport-ws", http.Header{"Origin": {"https://evil.example"}})
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("err = %v, resp = %v", err, resp)
			}
		})

		// Logging out revokes the token everywhere.
		if r := e.Post(t, token, `mutation { logout }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		r := e.Post(t, token, `{ me { id } }`, nil)
		if r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("after logout: %d %+v", r.Status, r.Errors)
		}
	})
}

func TestRegistrationErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Post(t, "", `mutation { requestLoginCode(phone: "13700000001") { sentTo } }`, nil)
		code := e.SMS.LastCode("13700000001")
		login := `mutation($in: LoginInput!) { login(input: $in) { token } }`
		young := time.Now().AddDate(-15, 0, 0).Format("2006-01-02")
		cases := []struct {
			in   map[string]any
			code string
		}{
			{map[string]any{"phone": "123", "code": code}, "BAD_USER_INPUT"},
			{map[string]any{"phone": "13700000001", "code": "12"}, "BAD_USER_INPUT"},
			{map[string]any{"phone": "13700000001", "code": code}, "REGISTRATION_REQUIRED"},
			{map[string]any{"phone": "13700000001", "code": code, "birthDate": young}, "AGE_RESTRICTED"},
			{map[string]any{"phone": "13700000001", "code": code, "birthDate": "2001-02-30"}, "BAD_USER_INPUT"},
			{map[string]any{"phone": "13700000001", "code": code, "birthDate": "2001-02-28"}, "REGISTRATION_REQUIRED"},
			{map[string]any{"phone": "13700000001", "code": code, "birthDate": "2001-02-28", "acceptPolicyVersion": "2020-01-01"}, "POLICY_UPDATE_REQUIRED"},
		}
		for _, c := range cases {
			r := e.Post(t, "", login, map[string]any{"in": c.in})
			if r.Code() != c.code {
				t.Errorf("%v: code %q (%+v), want %s", c.in, r.Code(), r.Errors, c.code)
			}
			if strings.Contains(string(mustJSON(r.Errors)), "13700000001") {
				t.Errorf("%v: an error repeats the phone number", c.in)
			}
		}
		r := e.Post(t, "", `mutation { requestLoginCode(phone: "13700000001") { sentTo } }`, nil)
		if r.Code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfter"] == nil {
			t.Fatalf("resend within 60 s: %+v", r.Errors)
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

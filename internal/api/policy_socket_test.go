package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/resolvers"
)

// P1 holds for subscriptions: after a major policy version comes into
// force, a running subscription ends at its next event with
// POLICY_UPDATE_REQUIRED and sends nothing of it (unless the user accepted
// the version meanwhile), and every subscription in the schema refuses to
// start until the user accepts.
func TestSubscriptionsPassPolicyGate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		author := e.Login(t, "13912340021")
		staff := e.Login(t, "13912340022")
		e.SetRole(t, "13912340022", "STAFF")
		fans := []string{e.Login(t, "13912340023"), e.Login(t, "13912340024"), e.Login(t, "13912340025")}
		var made struct{ CreatePost struct{ ID string } }
		e.Must(t, author, `mutation { createPost(input: {text: "政策更新", visibility: PUBLIC}) { id } }`, nil, &made)
		wow := func(fan string) {
			t.Helper()
			e.Must(t, fan, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": made.CreatePost.ID}, nil)
		}
		publish := func(version string) {
			t.Helper()
			e.Must(t, staff, `mutation($in: PublishPolicyInput!) { publishPrivacyPolicy(input: $in) { version } }`,
				map[string]any{"in": map[string]any{"version": version, "effectiveAt": time.Now().Format(time.RFC3339Nano),
					"summary": "调整了共享方名单", "major": true}}, nil)
		}
		accept := func(tok, version string) {
			t.Helper()
			e.Must(t, tok, `mutation($v: String!) { acceptPrivacyPolicy(version: $v) { version } }`, map[string]any{"v": version}, nil)
		}

		ws := e.Socket(t, author)
		live := `subscription($a: ID) { wowReceived(after: $a) { id wowCount sender { nickname } } }`
		ws.Send("subscribe", "live", map[string]any{"query": live})
		e.Listening(t, 1)
		wow(fans[0])
		first := wowEvent(t, ws.Expect("next"))

		// A major version the author accepts (over HTTP) while subscribed:
		// the stream goes on.
		publish("2026-12-01")
		for _, tok := range []string{author, staff, fans[1]} {
			accept(tok, "2026-12-01")
		}
		wow(fans[1])
		if ev := wowEvent(t, ws.Expect("next")); ev.WowCount != 2 {
			t.Fatalf("after accepting: %+v", ev)
		}

		// One the author has not accepted: the next event ends the stream.
		publish("2026-12-02")
		accept(fans[2], "2026-12-02")
		wow(fans[2])
		m := ws.Expect("next")
		if code := errorCode(t, m); code != "POLICY_UPDATE_REQUIRED" || strings.Contains(string(m.Payload), "wowCount") ||
			strings.Contains(string(m.Payload), "测试同学") {
			t.Fatalf("running subscription after a major update: %s", m.Payload)
		}
		if m := ws.Expect("complete"); m.ID != "live" {
			t.Fatalf("completed %q", m.ID)
		}

		// Every subscription refuses to start.
		es := resolvers.NewSchema(resolvers.New(e.Services)).Schema()
		if es.Subscription == nil || len(es.Subscription.Fields) == 0 {
			t.Fatal("no subscriptions in the schema")
		}
		for _, f := range es.Subscription.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			ws.Send("subscribe", f.Name, map[string]any{"query": subscriptionQuery(t, e, es, f)})
			m := ws.Expect("next")
			if code := errorCode(t, m); code != "POLICY_UPDATE_REQUIRED" || m.ID != f.Name {
				t.Fatalf("%s started before accepting: %s", f.Name, m.Payload)
			}
			ws.Expect("complete")
		}

		// Accepted: subscribing works again and replays what was held back.
		accept(author, "2026-12-02")
		ws.Send("subscribe", "again", map[string]any{"query": live, "variables": map[string]any{"a": first.ID}})
		seen := map[string]bool{first.ID: true}
		for range 2 { // a replayed wow has the post's count now
			if ev := wowEvent(t, ws.Expect("next")); seen[ev.ID] || ev.WowCount != 3 {
				t.Fatalf("replayed %+v", ev)
			} else {
				seen[ev.ID] = true
			}
		}
	})
}

type wowEv struct {
	ID       string
	WowCount int
}

func wowEvent(t *testing.T, m apitest.Message) wowEv {
	t.Helper()
	var p struct {
		Data   struct{ WowReceived wowEv }
		Errors []apitest.Error
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 || p.Data.WowReceived.ID == "" {
		t.Fatalf("not an event: %s", m.Payload)
	}
	return p.Data.WowReceived
}

func errorCode(t *testing.T, m apitest.Message) string {
	t.Helper()
	var p struct{ Errors []apitest.Error }
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) == 0 {
		return ""
	}
	c, _ := p.Errors[0].Extensions["code"].(string)
	return c
}

// subscriptionQuery subscribes to f with a value for each required
// argument: the gate runs before the resolver, so any well-formed value
// does. A new argument type needs a value here.
func subscriptionQuery(t *testing.T, e *apitest.Env, s *ast.Schema, f *ast.FieldDefinition) string {
	t.Helper()
	var args []string
	for _, a := range f.Arguments {
		if !a.Type.NonNull {
			continue
		}
		var v string
		switch a.Type.Name() {
		case "ID":
			v = fmt.Sprintf("%q", e.Codec.EncodeID(1))
		case "Int":
			v = "1"
		case "String":
			v = `"x"`
		case "Boolean":
			v = "true"
		default:
			t.Fatalf("give %s(%s: %s) a value", f.Name, a.Name, a.Type)
		}
		args = append(args, a.Name+": "+v)
	}
	q := "subscription { " + f.Name
	if len(args) > 0 {
		q += "(" + strings.Join(args, ", ") + ")"
	}
	if def := s.Types[f.Type.Name()]; def != nil && def.Kind != ast.Scalar && def.Kind != ast.Enum {
		q += " { __typename }"
	}
	return q + " }"
}

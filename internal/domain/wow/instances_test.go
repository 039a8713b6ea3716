package wow_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// W3 on any instance: the author subscribes on instance A, a friend's wow
// goes through instance B (one PostgreSQL, LISTEN/NOTIFY between them);
// nobody else hears of it.
func TestLiveWowsOnAnyInstance(t *testing.T) {
	a, b := apitest.TwoInstances(t)
	author, friend, other := a.Login(t, authorPhone), a.Login(t, friendPhone), a.Login(t, otherPhone)
	var made struct{ CreatePost struct{ ID string } }
	a.Must(t, author, `mutation { createPost(input: {text: "两台服务器", visibility: ONLY_ME}) { id } }`, nil, &made)

	listen := func(tok string) *apitest.WS {
		ws := a.Socket(t, tok)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { wowCount post { id } sender { nickname } } }`})
		return ws
	}
	mine, others := listen(author), listen(other)
	a.Listening(t, 2)

	// Only the author sees an ONLY_ME post, so the author wows it.
	b.Must(t, author, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": made.CreatePost.ID}, nil)
	m := mine.Expect("next")
	var ev struct {
		Data struct {
			WowReceived struct {
				WowCount int
				Post     struct{ ID string }
			}
		}
	}
	if err := json.Unmarshal(m.Payload, &ev); err != nil || ev.Data.WowReceived.WowCount != 1 || ev.Data.WowReceived.Post.ID != made.CreatePost.ID {
		t.Fatalf("through B: %s", m.Payload)
	}
	if r := b.Post(t, friend, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": made.CreatePost.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("a friend wows an only-me post: %+v", r.Errors)
	}
	if m, err := others.Read(300 * time.Millisecond); err == nil {
		t.Fatalf("another user heard: %s %s", m.Type, m.Payload)
	}
	if m, err := mine.Read(300 * time.Millisecond); err == nil {
		t.Fatalf("a refused wow was pushed: %s %s", m.Type, m.Payload)
	}
}

// A subscription reads consents for every event: once the author withdraws
// the location consent, the next wow's post comes without its place.
func TestLiveWowsFollowConsent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		e.Grant(t, p.author, "LOCATION")
		e.Must(t, p.author, `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: true, album: true, location: true, storage: false}) { location } }`, nil, nil)
		var made struct{ CreatePost struct{ ID string } }
		e.Must(t, p.author, `mutation { createPost(input: {text: "在操场", location: "东操场"}) { id } }`, nil, &made)
		ws := e.Socket(t, p.author)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { wowCount post { location } } }`})
		e.Listening(t, 1)
		wow := `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`
		e.Must(t, p.friend, wow, map[string]any{"id": made.CreatePost.ID}, nil)
		if m := ws.Expect("next"); !strings.Contains(string(m.Payload), "东操场") {
			t.Fatalf("while consenting: %s", m.Payload)
		}
		e.Must(t, p.author, `mutation { withdrawConsent(purpose: LOCATION, channel: SETTINGS) { granted } }`, nil, nil)
		e.Must(t, p.fan, wow, map[string]any{"id": made.CreatePost.ID}, nil)
		if m := ws.Expect("next"); strings.Contains(string(m.Payload), "东操场") {
			t.Fatalf("after withdrawing: %s", m.Payload)
		}
	})
}

package wow_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	authorPhone = "13500000001"
	friendPhone = "13500000002"
	fanPhone    = "13500000003" // follows the author, not followed back
	otherPhone  = "13500000004"
)

type people struct {
	e                          *apitest.Env
	author, friend, fan, other string // tokens
	authorID, friendID, fanID  string // opaque user ids
}

func newPeople(t *testing.T, db *store.DB) *people {
	e := apitest.New(t, db, apitest.Options{})
	p := &people{e: e, author: e.Login(t, authorPhone), friend: e.Login(t, friendPhone),
		fan: e.Login(t, fanPhone), other: e.Login(t, otherPhone)}
	id := func(tok string) string {
		var me struct{ Me struct{ ID string } }
		e.Must(t, tok, `{ me { id } }`, nil, &me)
		return me.Me.ID
	}
	p.authorID, p.friendID, p.fanID = id(p.author), id(p.friend), id(p.fan)
	follow := func(tok, who string) {
		e.Must(t, tok, `mutation($u: ID!) { follow(userId: $u) }`, map[string]any{"u": who}, nil)
	}
	follow(p.author, p.friendID)
	follow(p.friend, p.authorID)
	follow(p.fan, p.authorID)
	return p
}

func (p *people) post(t *testing.T, text, visibility string) string {
	t.Helper()
	var out struct{ CreatePost struct{ ID string } }
	p.e.Must(t, p.author, `mutation($t: String!, $v: PostVisibility) { createPost(input: {text: $t, visibility: $v}) { id } }`,
		map[string]any{"t": text, "v": visibility}, &out)
	return out.CreatePost.ID
}

func texts(t *testing.T, r *apitest.Response, path ...string) []string {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("errors %+v", r.Errors)
	}
	var v any
	_ = json.Unmarshal(r.Data, &v)
	for _, k := range path {
		v = v.(map[string]any)[k]
	}
	var out []string
	for _, ed := range v.(map[string]any)["edges"].([]any) {
		out = append(out, ed.(map[string]any)["node"].(map[string]any)["text"].(string))
	}
	return out
}

// W1: visibility is enforced on every path that returns a post.
func TestVisibilityOnEveryPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		pub := p.post(t, "公开 wow", "PUBLIC")
		fr := p.post(t, "朋友 wow", "FRIENDS")
		me := p.post(t, "自己 wow", "ONLY_ME")
		want := map[string][]string{ // who sees what, newest first
			"author": {"自己 wow", "朋友 wow", "公开 wow"},
			"friend": {"朋友 wow", "公开 wow"},
			"fan":    {"公开 wow"},
			"other":  {"公开 wow"},
			"":       {"公开 wow"},
		}
		tokens := map[string]string{"author": p.author, "friend": p.friend, "fan": p.fan, "other": p.other, "": ""}
		for who, tok := range tokens {
			got := texts(t, e.Post(t, tok, `query($u: ID!) { node(id: $u) { ... on User { posts(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { text } } } } } }`,
				map[string]any{"u": p.authorID}), "node", "posts")
			if strings.Join(got, "|") != strings.Join(want[who], "|") {
				t.Errorf("profile for %q: %v", who, got)
			}
			got = texts(t, e.Post(t, tok, `{ searchWows(text: "wow", first: 10) { edges { node { text } } } }`, nil), "searchWows")
			if strings.Join(got, "|") != strings.Join(want[who], "|") {
				t.Errorf("search for %q: %v", who, got)
			}
			for id, text := range map[string]string{pub: "公开 wow", fr: "朋友 wow", me: "自己 wow"} {
				r := e.Post(t, tok, `query($id: ID!) { node(id: $id) { ... on Post { text } } }`, map[string]any{"id": id})
				sees := strings.Contains(strings.Join(want[who], "|"), text)
				if sees != strings.Contains(string(r.Data), text) {
					t.Errorf("node(%s) for %q: %s %+v", text, who, r.Data, r.Errors)
				}
				if !sees && r.Code() != "NOT_FOUND" {
					t.Errorf("node(%s) for %q: code %q", text, who, r.Code())
				}
			}
		}
		// The feed: the friend and the fan follow the author.
		for who, tok := range map[string]string{"friend": p.friend, "fan": p.fan, "author": p.author} {
			got := texts(t, e.Post(t, tok, `{ wowFeed(first: 10) { edges { node { text } } } }`, nil), "wowFeed")
			if strings.Join(got, "|") != strings.Join(want[who], "|") {
				t.Errorf("feed for %q: %v", who, got)
			}
		}
		if got := texts(t, e.Post(t, p.other, `{ wowFeed(first: 10) { edges { node { text } } } }`, nil), "wowFeed"); len(got) != 0 {
			t.Errorf("feed of a stranger: %v", got)
		}
		// A post one cannot see cannot be wowed either.
		if r := e.Post(t, p.fan, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": fr}); r.Code() != "NOT_FOUND" {
			t.Fatalf("fan wows a friends-only post: %+v", r.Errors)
		}
		// Unfollowing ends the friendship and the access.
		e.Must(t, p.friend, `mutation($u: ID!) { unfollow(userId: $u) }`, map[string]any{"u": p.authorID}, nil)
		if r := e.Post(t, p.friend, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": fr}); r.Code() != "NOT_FOUND" {
			t.Fatalf("former friend still sees: %+v", r.Errors)
		}
	})
}

// W2: one wow per user and post, counted once; the public profile shows
// avatar, nickname, school, posts and wow count, nothing more.
func TestWowsAndProfile(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		// Limits count characters: 12 Chinese characters are 36 bytes.
		e.Must(t, p.author, `mutation { updateProfile(input: {school: "清华大学", nickname: "一二三四五六七八九十一二"}) { id } }`, nil, nil)
		// An avatar is one of our stored pictures: another host would learn
		// who views the profile.
		avatar := `mutation($u: String!) { updateProfile(input: {avatarURL: $u}) { profile { avatarURL } } }`
		if r := e.Post(t, p.author, avatar, map[string]any{"u": "https://tracker.example/pixel.gif"}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("foreign avatar: %s %+v", r.Data, r.Errors)
		}
		own := "/media/" + strings.Repeat("ab", 32)
		if r := e.Post(t, p.author, avatar, map[string]any{"u": own}); len(r.Errors) > 0 || !strings.Contains(string(r.Data), own) {
			t.Fatalf("own avatar: %s %+v", r.Data, r.Errors)
		}
		id := p.post(t, "第一条 wow", "PUBLIC")
		for range 3 {
			e.Must(t, p.friend, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": id}, nil)
		}
		var out struct {
			SendWow struct {
				WowCount       int
				ViewerHasWowed bool
			}
		}
		e.Must(t, p.other, `mutation($id: ID!) { sendWow(postId: $id) { wowCount viewerHasWowed } }`, map[string]any{"id": id}, &out)
		if out.SendWow.WowCount != 2 || !out.SendWow.ViewerHasWowed {
			t.Fatalf("after wows: %+v", out)
		}
		var prof struct {
			Node map[string]any
		}
		e.Must(t, p.other, `query($u: ID!) { node(id: $u) { ... on User { nickname avatarURL school wowCount } } }`, map[string]any{"u": p.authorID}, &prof)
		if prof.Node["school"] != "清华大学" || prof.Node["wowCount"] != float64(2) {
			t.Fatalf("profile %+v", prof)
		}
		var fields struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
		e.Must(t, "", `{ __type(name: "User") { fields { name } } }`, nil, &fields)
		var names []string
		for _, f := range fields.Type.Fields {
			names = append(names, f.Name)
		}
		if strings.Join(names, ",") != "id,nickname,avatarURL,school,posts,wowCount" {
			t.Fatalf("the public profile shows %v", names)
		}
	})
}

// W1: pictures are stored without their metadata; a location needs the
// consent and the permission.
func TestPicturesAndLocation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		photo := jpegWithGPS(t)
		r := e.Upload(t, p.author, `mutation($in: CreatePostInput!) { createPost(input: $in) { id images { url width height } } }`,
			map[string]any{"in": map[string]any{"text": "看我拍的", "images": []any{nil}}},
			map[string][]byte{"variables.in.images.0": photo})
		var out struct {
			CreatePost struct {
				Images []struct {
					URL           string
					Width, Height int
				}
			}
		}
		if len(r.Errors) > 0 {
			t.Fatalf("%+v\n%s", r.Errors, e.Logs.String())
		}
		r.Decode(t, &out)
		img := out.CreatePost.Images[0]
		if img.Width != 64 || img.Height != 48 {
			t.Fatalf("image %+v", img)
		}
		resp, err := http.Get(e.Server.URL + img.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || len(body) < 100 {
			t.Fatalf("served %d %s %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		for _, leak := range []string{"Exif", "GPS", "39.9042", "116.4074"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Fatalf("the stored picture still holds %q", leak)
			}
		}
		r = e.Upload(t, p.author, `mutation($in: CreatePostInput!) { createPost(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"text": "x", "images": []any{nil}}},
			map[string][]byte{"variables.in.images.0": []byte("GIF89a not a jpeg")})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("a GIF: %+v", r.Errors)
		}

		withLoc := `mutation { createPost(input: {text: "在图书馆", location: "清华大学图书馆"}) { id location } }`
		if r := e.Post(t, p.author, withLoc, nil); r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("location without consent: %+v", r.Errors)
		}
		e.Grant(t, p.author, "LOCATION")
		if r := e.Post(t, p.author, withLoc, nil); r.Code() != "PERMISSION_REQUIRED" {
			t.Fatalf("location without permission: %+v", r.Errors)
		}
		e.Must(t, p.author, `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: true, album: true, location: true, storage: false}) { location } }`, nil, nil)
		var made struct{ CreatePost struct{ ID, Location string } }
		e.Must(t, p.author, withLoc, nil, &made)
		// Others see the place while the author consents, and not after.
		q := `query($id: ID!) { node(id: $id) { ... on Post { location } } }`
		if r := e.Post(t, p.other, q, map[string]any{"id": made.CreatePost.ID}); !strings.Contains(string(r.Data), "图书馆") {
			t.Fatalf("location while consenting: %s %+v", r.Data, r.Errors)
		}
		e.Must(t, p.author, `mutation { withdrawConsent(purpose: LOCATION, channel: SETTINGS) { granted } }`, nil, nil)
		if r := e.Post(t, p.other, q, map[string]any{"id": made.CreatePost.ID}); strings.Contains(string(r.Data), "图书馆") || len(r.Errors) > 0 {
			t.Fatalf("location after withdrawal: %s %+v", r.Data, r.Errors)
		}
	})
}

// W3: the author hears each wow live, with the sender's public profile and
// the new count; a reconnect with after replays the missed ones.
func TestLiveWows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		id := p.post(t, "求 wow", "PUBLIC")
		ws := e.Socket(t, p.author)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id wowCount sender { nickname } post { id text } } }`})
		e.Listening(t, 1)
		e.Must(t, p.friend, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": id}, nil)
		e.Must(t, p.other, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": id}, nil)
		var got []string
		var lastID string
		for range 2 {
			m := ws.Expect("next")
			var ev struct {
				Data struct {
					WowReceived struct {
						ID       string
						WowCount int
						Sender   map[string]any
						Post     struct{ ID, Text string }
					}
				}
			}
			_ = json.Unmarshal(m.Payload, &ev)
			w := ev.Data.WowReceived
			if w.Post.ID != id || len(w.Sender) != 1 {
				t.Fatalf("event %s", m.Payload)
			}
			got = append(got, fmt.Sprint(w.WowCount))
			lastID = w.ID
		}
		if strings.Join(got, ",") != "1,2" {
			t.Fatalf("counts %v", got)
		}
		ws.Conn.Close()
		e.Must(t, p.fan, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": id}, nil)
		ws2, _, _ := e.DialWS(t, "graphql-transport-ws", nil)
		ws2.Send("connection_init", "", map[string]any{"authToken": p.author})
		ws2.Expect("connection_ack")
		ws2.Send("subscribe", "1", map[string]any{"query": `subscription($a: ID) { wowReceived(after: $a) { wowCount sender { nickname } } }`,
			"variables": map[string]any{"a": lastID}})
		if m := ws2.Expect("next"); !strings.Contains(string(m.Payload), `"wowCount":3`) {
			t.Fatalf("replayed %s", m.Payload)
		}
	})
}

// jpegWithGPS is a small JPEG carrying an EXIF block with GPS text.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00"), []byte("GPS 39.9042N 116.4074E")...)
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

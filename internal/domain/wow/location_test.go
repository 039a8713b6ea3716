package wow_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const permissionOn = `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: true, album: true, location: true, storage: false}) { location } }`

// sealedLocations counts the posts of authorID holding a sealed place, read
// from the raw table.
func sealedLocations(t *testing.T, db *store.DB, authorID int) int {
	t.Helper()
	q := `SELECT COUNT(*) FROM posts WHERE location_cipher IS NOT NULL AND author_id = ?`
	if db.Dialect == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var n int
	if err := db.SQL.QueryRow(q, authorID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Y1, P2: a post's place is sealed at rest (never in the clear in any
// table), shown to the post's viewers while the author consents, and erased
// from all the author's posts, in the withdrawal's transaction, when the
// author withdraws LOCATION: granting it again brings nothing back.
func TestLocationSealedAndErasedOnWithdrawal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		places := []string{"紫荆公寓 3 号楼", "40.0012,116.3264"} // a place name; coordinates typed as one
		for _, tok := range []string{p.author, p.friend} {
			e.Grant(t, tok, "LOCATION")
			e.Must(t, tok, permissionOn, nil, nil)
		}
		var ids []string
		for _, place := range places {
			var made struct{ CreatePost struct{ ID, Location string } }
			e.Must(t, p.author, `mutation($l: String!) { createPost(input: {text: "到此一游", location: $l}) { id location } }`,
				map[string]any{"l": place}, &made)
			if made.CreatePost.Location != place {
				t.Fatalf("location %q, want %q", made.CreatePost.Location, place)
			}
			ids = append(ids, made.CreatePost.ID)
		}
		e.Must(t, p.friend, `mutation { createPost(input: {text: "我的", location: "图书馆北门"}) { id } }`, nil, nil)
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, append(places, "图书馆北门", "40.0012", "116.3264")...)
		author, friend := e.UserID(t, authorPhone), e.UserID(t, friendPhone)
		if n := sealedLocations(t, db, author); n != 2 {
			t.Fatalf("%d sealed places, want 2", n)
		}
		q := `query($id: ID!) { node(id: $id) { ... on Post { location } } }`
		var seen struct{ Node struct{ Location *string } }
		e.Must(t, p.friend, q, map[string]any{"id": ids[1]}, &seen)
		if seen.Node.Location == nil || *seen.Node.Location != places[1] {
			t.Fatalf("the friend sees %v", seen.Node.Location)
		}

		e.Must(t, p.author, `mutation { withdrawConsent(purpose: LOCATION, channel: SETTINGS) { granted } }`, nil, nil)
		if n := sealedLocations(t, db, author); n != 0 {
			t.Fatalf("%d places left after the withdrawal", n)
		}
		if n := sealedLocations(t, db, friend); n != 1 {
			t.Fatalf("another author's place: %d", n)
		}
		e.Grant(t, p.author, "LOCATION")
		for _, id := range ids {
			for _, tok := range []string{p.author, p.friend} {
				var again struct{ Node struct{ Location *string } }
				if r := e.Post(t, tok, q, map[string]any{"id": id}); len(r.Errors) > 0 {
					t.Fatalf("%+v\n%s", r.Errors, e.Logs.String())
				}
				e.Must(t, tok, q, map[string]any{"id": id}, &again)
				if again.Node.Location != nil {
					t.Fatalf("a place came back after consent was given again: %q", *again.Node.Location)
				}
			}
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, append(places, "图书馆北门", "40.0012", "116.3264")...)
	})
}

// Places stored in the clear before they were sealed (the old column
// posts.location) are sealed at start-up when the author consents, erased
// otherwise, and the plaintext column is dropped; a second start changes
// nothing.
func TestLegacyLocationsAreSealed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		e.Grant(t, p.author, "LOCATION") // the friend does not consent
		if _, err := db.SQL.Exec(`ALTER TABLE posts ADD COLUMN location varchar(255)`); err != nil {
			t.Fatal(err)
		}
		ph := func(q string) string {
			if db.Dialect != "postgres" {
				return q
			}
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", "$"+string(rune('0'+i)), 1)
			}
			return q
		}
		author, friend := e.UserID(t, authorPhone), e.UserID(t, friendPhone)
		for _, r := range []struct {
			author int
			place  string
		}{{author, "旧的操场"}, {author, "旧的食堂"}, {friend, "朋友的宿舍"}} {
			if _, err := db.SQL.Exec(ph(`INSERT INTO posts (author_id, text, visibility, location, wow_count, created_at) VALUES (?, ?, 'PUBLIC', ?, 0, ?)`),
				r.author, "旧帖", r.place, "2024-01-01 00:00:00"); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := e.Services.Wows.SealLegacyLocations(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, "旧的操场", "旧的食堂", "朋友的宿舍")
		if _, err := db.SQL.Exec(`SELECT location FROM posts`); err == nil {
			t.Fatal("the plaintext column is still there")
		}
		if a, f := sealedLocations(t, db, author), sealedLocations(t, db, friend); a != 2 || f != 0 {
			t.Fatalf("sealed: author %d, friend %d", a, f)
		}
		var out struct {
			SearchWows struct {
				Edges []struct{ Node struct{ Location *string } }
			}
		}
		e.Must(t, p.other, `{ searchWows(text: "旧帖", first: 10) { edges { node { location } } } }`, nil, &out)
		var got []string
		for _, ed := range out.SearchWows.Edges {
			if ed.Node.Location != nil {
				got = append(got, *ed.Node.Location)
			}
		}
		if len(out.SearchWows.Edges) != 3 || strings.Join(got, ",") != "旧的食堂,旧的操场" && strings.Join(got, ",") != "旧的操场,旧的食堂" {
			t.Fatalf("places after sealing: %v of %d posts", got, len(out.SearchWows.Edges))
		}
	})
}

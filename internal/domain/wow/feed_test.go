package wow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const feedQuery = `query($n: Int!) { wowFeed(first: $n) { edges { node {
  id text wowCount viewerHasWowed createdAt
  author { nickname avatarURL school wowCount }
  previewImages(first: 3) { url width height }
} } } }`

// The wow feed (posts with author, their first 3 of 4 pictures, wow count
// and whether I wowed) costs the same number of SQL statements for 5 posts
// as for 20.
func TestFeedHasNoNPlusOne(t *testing.T) {
	counter := &testdb.Counter{}
	testdb.EachWith(t, testdb.Options{WrapDriver: counter.Wrap}, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		ctx := t.Context()
		author := p.e.UserID(t, authorPhone)
		for i := range 20 {
			post := db.Client.Post.Create().SetAuthorID(author).SetText(fmt.Sprintf("第 %d 条", i)).SaveX(ctx)
			for j := range 4 {
				db.Client.PostImage.Create().SetPostID(post.ID).SetMediaKey(fmt.Sprintf("%064x", i*10+j)).
					SetPosition(j).SetWidth(100).SetHeight(80).ExecX(ctx)
			}
			if i%3 == 0 {
				p.e.Must(t, p.friend, `mutation($id: ID!) { sendWow(postId: $id) { id } }`, map[string]any{"id": p.e.Codec.EncodeID(post.ID)}, nil)
			}
		}
		counts := map[int]int{}
		for _, n := range []int{5, 20} {
			counter.Reset()
			var out struct {
				WowFeed struct {
					Edges []struct {
						Node struct {
							ViewerHasWowed bool
							Text           string
							Author         struct{ Nickname string }
							PreviewImages  []struct{ URL string }
						}
					}
				}
			}
			p.e.Must(t, p.friend, feedQuery, map[string]any{"n": n}, &out)
			counts[n] = counter.Count()
			wowed := 0
			for _, ed := range out.WowFeed.Edges {
				var i int
				fmt.Sscanf(ed.Node.Text, "第 %d 条", &i)
				if ed.Node.Author.Nickname == "" || len(ed.Node.PreviewImages) != 3 {
					t.Fatalf("post %+v", ed.Node)
				}
				for j, img := range ed.Node.PreviewImages { // the author's order
					if !strings.HasSuffix(img.URL, fmt.Sprintf("%064x", i*10+j)) {
						t.Fatalf("post %d picture %d: %s", i, j, img.URL)
					}
				}
				if ed.Node.ViewerHasWowed {
					wowed++
				}
			}
			if len(out.WowFeed.Edges) != n || wowed == 0 {
				t.Fatalf("%d posts, %d wowed", len(out.WowFeed.Edges), wowed)
			}
		}
		t.Logf("SQL statements: %d for 5 posts, %d for 20", counts[5], counts[20])
		if counts[5] != counts[20] {
			t.Fatalf("statements grow with the page: %d, %d\n%s", counts[5], counts[20], counter.Statements())
		}
	})
}

// Post.location needs its author's LOCATION consent: a page of located
// posts by 20 authors reads their consents in one statement, as for 5, and
// shows the place only for the authors who consent.
func TestLocatedPostsReadAuthorConsentsOnce(t *testing.T) {
	counter := &testdb.Counter{}
	testdb.EachWith(t, testdb.Options{WrapDriver: counter.Wrap}, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		ctx := t.Context()
		for i := range 20 {
			phone := fmt.Sprintf("1370000%04d", i)
			tok := p.e.Login(t, phone)
			if i%2 == 0 {
				p.e.Grant(t, tok, "LOCATION")
			}
			db.Client.Post.Create().SetAuthorID(p.e.UserID(t, phone)).SetText(fmt.Sprintf("操场 %d", i)).
				SetLocationCipher(p.e.Keys.Ring.Seal([]byte(fmt.Sprintf("东操场 %d", i)), "posts.location_cipher")).ExecX(ctx)
		}
		const q = `query($n: Int!) { searchWows(text: "操场", first: $n) { edges { node { text location author { nickname wowCount } } } } }`
		counts := map[int]int{}
		for _, n := range []int{5, 20} {
			counter.Reset()
			var out struct {
				SearchWows struct {
					Edges []struct {
						Node struct{ Text, Location string }
					}
				}
			}
			p.e.Must(t, p.friend, q, map[string]any{"n": n}, &out)
			counts[n] = counter.Count()
			if len(out.SearchWows.Edges) != n {
				t.Fatalf("%d posts, want %d", len(out.SearchWows.Edges), n)
			}
			for _, ed := range out.SearchWows.Edges {
				var i int
				fmt.Sscanf(ed.Node.Text, "操场 %d", &i)
				if want := map[bool]string{true: fmt.Sprintf("东操场 %d", i), false: ""}[i%2 == 0]; ed.Node.Location != want {
					t.Fatalf("post %d: location %q, want %q", i, ed.Node.Location, want)
				}
			}
		}
		t.Logf("SQL statements: %d for 5 authors, %d for 20", counts[5], counts[20])
		if counts[5] != counts[20] {
			t.Fatalf("statements grow with the authors: %d, %d\n%s", counts[5], counts[20], counter.Statements())
		}
	})
}

package wow_test

import (
	"net/http"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// R2: an author deletes their post; its wows, picture rows and picture
// files go with it; the same photo in another post (another upload, another
// key) stays. Nobody else can delete it.
func TestDeletePost(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		photo := jpegWithGPS(t)
		post := func(text string) (id, url string) {
			r := e.Upload(t, p.author, `mutation($in: CreatePostInput!) { createPost(input: $in) { id images { url } } }`,
				map[string]any{"in": map[string]any{"text": text, "images": []any{nil}}},
				map[string][]byte{"variables.in.images.0": photo})
			var out struct {
				CreatePost struct {
					ID     string
					Images []struct{ URL string }
				}
			}
			r.Decode(t, &out)
			return out.CreatePost.ID, out.CreatePost.Images[0].URL
		}
		first, url := post("第一条")
		second, url2 := post("同一张照片")
		if url == url2 {
			t.Fatalf("two uploads of one photo share a key: %s", url)
		}
		e.Must(t, p.friend, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": first}, nil)

		del := `mutation($id: ID!) { deletePost(id: $id) }`
		if r := e.Post(t, p.friend, del, map[string]any{"id": first}); r.Code() != "NOT_FOUND" {
			t.Fatalf("someone else's post: %+v", r.Errors)
		}
		e.Must(t, p.author, del, map[string]any{"id": first}, nil)
		if r := e.Post(t, p.author, del, map[string]any{"id": first}); r.Code() != "NOT_FOUND" {
			t.Fatalf("deleted twice: %+v", r.Errors)
		}
		if r := e.Post(t, p.friend, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": first}); r.Code() != "NOT_FOUND" {
			t.Fatalf("deleted post: %s %+v", r.Data, r.Errors)
		}
		if n := db.Client.Wow.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d wows left on a deleted post", n)
		}
		if got := status(t, e.Server.URL+url); got != http.StatusNotFound {
			t.Fatalf("the photo of a deleted post is still served: %d", got)
		}
		if got := status(t, e.Server.URL+url2); got != http.StatusOK {
			t.Fatalf("the same photo in another post was removed: %d", got)
		}
		e.Must(t, p.author, del, map[string]any{"id": second}, nil)
		if got := status(t, e.Server.URL+url2); got != http.StatusNotFound {
			t.Fatalf("the photo of deleted posts is still served: %d", got)
		}
	})
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

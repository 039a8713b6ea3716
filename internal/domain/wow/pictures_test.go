package wow_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/wow"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Pictures: each upload has a key of its own (the same photo uploaded by
// two users gets unrelated keys, neither derived from the photo); a PUBLIC
// post's picture has a plain, cacheable address; a FRIENDS or ONLY_ME
// post's picture is served only with the signed, expiring address given to
// those who may see the post: not by its bare key, not with a forged or
// expired signature.
func TestPictureKeysAndAccess(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		photo := jpegWithGPS(t)
		create := func(tok, visibility string) (id, u string) {
			t.Helper()
			r := e.Upload(t, tok, `mutation($in: CreatePostInput!) { createPost(input: $in) { id images { url } } }`,
				map[string]any{"in": map[string]any{"text": "同一张照片", "visibility": visibility, "images": []any{nil}}},
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
		imageURL := func(tok, id string) (string, string) { // the URL, or the error code
			t.Helper()
			r := e.Post(t, tok, `query($id: ID!) { node(id: $id) { ... on Post { images { url } } } }`, map[string]any{"id": id})
			if len(r.Errors) > 0 {
				return "", r.Code()
			}
			var out struct {
				Node struct{ Images []struct{ URL string } }
			}
			r.Decode(t, &out)
			return out.Node.Images[0].URL, ""
		}
		get := func(u string) *http.Response {
			t.Helper()
			res, err := http.Get(e.Server.URL + u)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		keyOf := func(u string) string {
			t.Helper()
			k, _, _ := strings.Cut(strings.TrimPrefix(u, media.URLPath), "?")
			if !media.ValidKey(k) {
				t.Fatalf("URL %q", u)
			}
			return k
		}

		secret, secretURL := create(p.author, "ONLY_ME")
		friends, friendsURL := create(p.author, "FRIENDS")
		_, publicURL := create(p.friend, "PUBLIC") // the same bytes, another user
		keys := map[string]bool{keyOf(secretURL): true, keyOf(friendsURL): true, keyOf(publicURL): true}
		if len(keys) != 3 {
			t.Fatalf("the same photo got a shared key: %v", keys)
		}
		cleaned, err := media.Clean(photo, wow.ImageLimits) // what is stored
		if err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if k == cleaned.SHA256 || k == sha256Hex(photo) {
				t.Fatalf("key %s is the photo's hash", k)
			}
		}

		// A PUBLIC post: a plain address anyone may fetch and keep a day.
		if strings.Contains(publicURL, "?") {
			t.Fatalf("public picture %q is signed", publicURL)
		}
		if res := get(publicURL); res.StatusCode != 200 || res.Header.Get("Cache-Control") != media.CacheControl {
			t.Fatalf("public picture: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
		}

		// An ONLY_ME post: the author gets a signed URL that works.
		mine, code := imageURL(p.author, secret)
		if code != "" || !strings.Contains(mine, "?exp=") || keyOf(mine) != keyOf(secretURL) {
			t.Fatalf("the author's URL %q (%s)", mine, code)
		}
		if res := get(mine); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Cache-Control"), "private, max-age=") ||
			strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("the author's picture: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
		}
		// Others get no URL, and the bare key opens nothing.
		for who, tok := range map[string]string{"friend": p.friend, "stranger": p.other, "anonymous": ""} {
			if _, code := imageURL(tok, secret); code != "NOT_FOUND" {
				t.Fatalf("%s asks for the only-me post: %q", who, code)
			}
		}
		if res := get(media.URLPath + keyOf(secretURL)); res.StatusCode != http.StatusNotFound {
			t.Fatalf("bare key of an only-me picture: %d", res.StatusCode)
		}
		// The author's URL after it expired (signed with the server's real
		// secret, an expiry in the past), or with its signature reused for a
		// later expiry, opens nothing.
		past := func() time.Time { return time.Now().Add(-2 * time.Hour) }
		old, err := media.NewURLs(e.Keys.Index.Secret(media.SecretLabel), past)
		if err != nil {
			t.Fatal(err)
		}
		if res := get(old.Signed(keyOf(secretURL))); res.StatusCode != http.StatusForbidden {
			t.Fatalf("expired URL: %d", res.StatusCode)
		}
		u, _ := url.Parse(mine)
		later := media.URLPath + keyOf(mine) + "?exp=" + "4102444800" + "&sig=" + u.Query().Get("sig")
		if res := get(later); res.StatusCode != http.StatusForbidden {
			t.Fatalf("signature reused for a later expiry: %d", res.StatusCode)
		}

		// A FRIENDS post: the friend may, the fan (a follower) may not.
		if u, code := imageURL(p.friend, friends); code != "" || get(u).StatusCode != 200 {
			t.Fatalf("the friend: %q %s", u, code)
		}
		if _, code := imageURL(p.fan, friends); code != "NOT_FOUND" {
			t.Fatalf("the fan: %s", code)
		}
		if res := get(media.URLPath + keyOf(friendsURL)); res.StatusCode != http.StatusNotFound {
			t.Fatalf("bare key of a friends-only picture: %d", res.StatusCode)
		}

		// An avatar is public, but only the author's own choice makes it so:
		// the friend naming the author's friends-only picture publishes nothing.
		avatar := `mutation($u: String!) { updateProfile(input: {avatarURL: $u}) { id } }`
		e.Must(t, p.friend, avatar, map[string]any{"u": media.URLPath + keyOf(friendsURL)}, nil)
		if res := get(media.URLPath + keyOf(friendsURL)); res.StatusCode != http.StatusNotFound {
			t.Fatalf("another user's avatar published a friends-only picture: %d", res.StatusCode)
		}
		// The app passes the signed URL it was shown; the plain one is kept.
		e.Must(t, p.author, avatar, map[string]any{"u": secretURL}, nil)
		if res := get(media.URLPath + keyOf(secretURL)); res.StatusCode != 200 {
			t.Fatalf("the author's own avatar: %d", res.StatusCode)
		}
	})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

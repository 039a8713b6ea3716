package media

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/infra/system"
)

// Access gives the addresses of pictures and tells /media/ which ones are
// public. A picture is public when a PUBLIC post shows it, or when the
// author of a post that shows it chose it as their avatar (the public
// profile); every other picture (FRIENDS and ONLY_ME posts, errand photos)
// is served only with a signed, expiring URL, given by the resolvers to
// viewers who may see what holds it.
type Access struct {
	client *ent.Client
	urls   *URLs
}

// SecretLabel names the secret URLs are signed with (vault.Index.Secret).
const SecretLabel = "media-url"

// NewAccess signs with secret (from internal/infra/vault); now is time.Now
// outside tests.
func NewAccess(client *ent.Client, secret []byte, now func() time.Time) (*Access, error) {
	urls, err := NewURLs(secret, now)
	if err != nil {
		return nil, err
	}
	return &Access{client: client, urls: urls}, nil
}

// URL is the address of a picture: plain when public is known to be true,
// signed otherwise (a picture whose status is unknown is signed: it is
// served either way).
func (a *Access) URL(key string, public bool) string {
	if public {
		return a.urls.Public(key)
	}
	return a.urls.Signed(key)
}

// Guard is what Serve checks requests with.
func (a *Access) Guard() Guard {
	return Guard{URLs: a.urls, Public: a.Public}
}

// Public reports whether anyone may fetch key without a signed URL: one
// statement (post_images.media_key is indexed).
func (a *Access) Public(ctx context.Context, key string) (bool, error) {
	return a.client.PostImage.Query().Where(
		postimage.MediaKey(key),
		postimage.HasPostWith(post.Or(
			post.VisibilityEQ(post.VisibilityPUBLIC),
			// Only the author's own choice makes it public: someone who
			// saw a friend's picture cannot publish it by naming it as
			// their avatar.
			post.HasAuthorWith(user.AvatarURL(URLPath+key)),
		)),
	).Exist(system.Context(ctx)) // the server's own check, not a viewer's query
}

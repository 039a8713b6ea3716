package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// URLs makes the addresses pictures are served at. A public picture (of a
// PUBLIC post, or an author's avatar) has a plain address, URLPath + key,
// that caches stay valid for. Any other picture (FRIENDS and ONLY_ME posts,
// errand photos) has a signed one, URLPath + key + "?exp=…&sig=…": an
// HMAC-SHA256 with a server secret over the key and the expiry, which Serve
// checks. A signed URL is a bearer token until it expires: whoever is given
// it may fetch the picture, as they could have saved it; after the expiry
// it opens nothing, and a new one is given only to viewers who may still
// see the post.
type URLs struct {
	secret []byte
	now    func() time.Time
}

// SignedWindow is how long signed URLs stay the same: a URL made in one
// window expires at the end of the next, so it is valid for between one and
// two windows, and a page reloaded within a window shows the same URLs
// (the app's cache keeps working).
const SignedWindow = 15 * time.Minute

// NewURLs signs with secret (32 bytes or more, from internal/infra/vault);
// now is time.Now outside tests.
func NewURLs(secret []byte, now func() time.Time) (*URLs, error) {
	if len(secret) < 32 {
		return nil, errors.New("media: the URL signing secret must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &URLs{secret: secret, now: now}, nil
}

// Public is the plain address of a public picture.
func (u *URLs) Public(key string) string { return URLPath + key }

// Signed is an expiring address of a picture that is not public.
func (u *URLs) Signed(key string) string {
	exp := u.now().Truncate(SignedWindow).Add(2 * SignedWindow).Unix()
	e := strconv.FormatInt(exp, 10)
	return URLPath + key + "?exp=" + e + "&sig=" + u.sign(key, e)
}

func (u *URLs) sign(key, exp string) string {
	m := hmac.New(sha256.New, u.secret)
	m.Write([]byte("media-url\x00"))
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check tells whether q carries a signature of key that has not expired,
// and how long it still holds.
func (u *URLs) Check(key string, q url.Values) (time.Duration, bool) {
	e, sig := q.Get("exp"), q.Get("sig")
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || sig == "" {
		return 0, false
	}
	if !hmac.Equal([]byte(sig), []byte(u.sign(key, e))) {
		return 0, false
	}
	left := time.Unix(exp, 0).Sub(u.now())
	return left, left > 0
}

package media

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Guard decides who may fetch a picture: anyone a public one, the holders
// of a valid signed URL (URLs) any other.
type Guard struct {
	URLs *URLs
	// Public reports whether key may be fetched without a signature (a
	// PUBLIC post's picture, an author's avatar); nil: none is.
	Public func(ctx context.Context, key string) (bool, error)
}

// Serve returns a handler for GET and HEAD /{key} that answers with the
// picture stored under key:
//
//	Content-Type: image/jpeg or image/png (from the stored bytes)
//	Cache-Control: private, max-age=86400, immutable (a public picture)
//	Cache-Control: private, max-age={seconds left} (a signed URL)
//	X-Content-Type-Options: nosniff
//	Content-Security-Policy: default-src 'none'
//	ETag: "{key}"
//
// A key names its content forever, hence immutable; but pictures are
// personal data that are deleted with their post or errand (parcel photos
// when the errand ends), so only the viewer's own device may keep a copy,
// and for a day at most (a signed URL: until it expires): no shared (CDN,
// proxy) cache. Conditional and range requests are handled by
// http.ServeContent.
//
// Access: a URL with a signature (exp and sig) is served while the
// signature is valid and unexpired, and refused with 403 otherwise; a URL
// without one only for a public picture (g.Public), and 404 otherwise,
// exactly as for a key that does not exist, so an unsigned request learns
// nothing about a picture that is not public. A malformed key is 404 (not
// cached), another method 405.
//
// Mount it under a prefix with the prefix stripped, for example
//
//	mux.Handle("/media/", http.StripPrefix("/media/", media.Serve(store, guard)))
//
// (with or without the trailing slash; the key may or may not start with
// "/"). A device that showed a picture may keep its copy up to a day after
// the deletion.
func Serve(store Store, g Guard) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			h.Set("Cache-Control", "no-store")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		key := strings.TrimPrefix(r.URL.Path, "/")
		if !ValidKey(key) {
			notFound(w)
			return
		}
		cache := CacheControl
		if q := r.URL.Query(); q.Has("sig") || q.Has("exp") {
			left, ok := time.Duration(0), false
			if g.URLs != nil {
				left, ok = g.URLs.Check(key, q)
			}
			if !ok {
				h.Set("Cache-Control", "no-store")
				http.Error(w, "the picture's link has expired or is not valid", http.StatusForbidden)
				return
			}
			cache = "private, max-age=" + strconv.Itoa(int(left.Seconds()))
		} else {
			public := false
			if g.Public != nil {
				ok, err := g.Public(r.Context(), key)
				if err != nil {
					h.Set("Cache-Control", "no-store")
					http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
					return
				}
				public = ok
			}
			if !public {
				notFound(w)
				return
			}
		}
		data, ct, err := store.Get(r.Context(), key)
		if errors.Is(err, ErrNotFound) {
			notFound(w)
			return
		}
		if err != nil {
			h.Set("Cache-Control", "no-store")
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", cache)
		h.Set("ETag", `"`+key+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
}

// CacheControl is the caching allowed for a public picture.
const CacheControl = "private, max-age=86400, immutable"

func notFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(http.StatusNotFound), http.StatusNotFound)
}

package media

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Serve returns a handler for GET and HEAD /{key} that answers with the
// picture stored under key:
//
//	Content-Type: image/jpeg or image/png (from the stored bytes)
//	Cache-Control: private, max-age=86400, immutable
//	X-Content-Type-Options: nosniff
//	Content-Security-Policy: default-src 'none'
//	ETag: "{key}"
//
// A key names its content forever, hence immutable; but pictures are
// personal data that are deleted with their post or errand (parcel photos
// when the errand ends), so only the viewer's own device may keep a copy,
// and for a day at most: no shared (CDN, proxy) cache. Conditional and range requests are handled by http.ServeContent. An
// unknown or malformed key is 404 (not cached), another method 405.
//
// Mount it under a prefix with the prefix stripped, for example
//
//	mux.Handle("/media/", http.StripPrefix("/media/", media.Serve(store)))
//
// (with or without the trailing slash; the key may or may not start with
// "/").
//
// Serve does no access control: anyone with a key gets the picture. Keys
// are unguessable hashes, and the caller must reveal a key only to viewers
// allowed to see the post that holds it (the same rules as for the post
// itself). Note that a key stays valid after the post is hidden, until the
// picture is deleted from the store, and that a device that showed it may
// keep its copy up to a day after the deletion.
func Serve(store Store) http.Handler {
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
		h.Set("Cache-Control", CacheControl)
		h.Set("ETag", `"`+key+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
}

// CacheControl is the caching allowed for a stored picture.
const CacheControl = "private, max-age=86400, immutable"

func notFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(http.StatusNotFound), http.StatusNotFound)
}

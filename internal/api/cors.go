package api

import (
	"net/http"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/wsgorilla"
)

// What an allowed web origin may send and read (CORS).
const (
	corsMethods = "GET, POST"
	corsHeaders = "Accept, Authorization, Content-Type"
	corsExpose  = "X-Request-Id"
	corsMaxAge  = "600" // seconds a browser may cache a preflight answer
)

// crossOrigin answers CORS and refuses cross-site requests that change
// state. An origin is allowed when it is the server's own host or matches
// allowed (TONGXUE_ALLOWED_ORIGINS), exactly as for websockets
// (wsgorilla.AllowOrigins).
//
// A browser sends some requests to another site without asking first: a
// POST with a multipart/form-data, text/plain or urlencoded body, with no
// header of the page's choosing. Such a request from a foreign page is
// refused here, before any work, whatever its path: nothing legitimate
// sends one (the app sends no Origin, the web client and the playground are
// allowed origins, payment providers call server to server). GET and HEAD
// only read; without CORS headers the foreign page cannot read the answer.
// Requests without an Origin header (the mobile apps, curl) pass untouched.
func crossOrigin(allowed []string, next http.Handler) http.Handler {
	allow := wsgorilla.AllowOrigins(allowed)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin") // a cache must not hand one origin's answer to another
		origin, sent := r.Header["Origin"]
		if !sent {
			next.ServeHTTP(w, r)
			return
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		if !allow(r) {
			if preflight || !readOnly(r.Method) {
				writeError(w, http.StatusForbidden, apperr.CodeForbidden,
					"requests from this web origin are not allowed (see TONGXUE_ALLOWED_ORIGINS)")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin[0])
		if preflight {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExpose)
		next.ServeHTTP(w, r)
	})
}

// readOnly reports whether a method only reads (and so cannot be forged
// into a change); OPTIONS without a preflight's header reaches the handler,
// which refuses it.
func readOnly(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

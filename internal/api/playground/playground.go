// Package playground serves GraphiQL (with the explorer plugin, the headers
// tab and subscriptions over graphql-transport-ws) entirely from the
// binary, so it works with no internet: the page names only same-origin
// paths and its Content-Security-Policy lets it reach nothing else.
// assets/vendor holds the third-party builds; update.sh refreshes them
// (VERSIONS and LICENSES say which and under what terms).
package playground

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// AssetsPath is where the page's scripts and styles are served.
const AssetsPath = "/playground/assets/"

//go:embed assets page.html
var files embed.FS

var page = template.Must(template.ParseFS(files, "page.html"))

// Handler serves the GraphiQL page for the GraphQL endpoint at endpoint
// (a same-origin path such as /graphql); mount Assets at AssetsPath too.
// The page and its policy are rendered once, around the place of the nonce:
// a request only draws a nonce and writes it in.
func Handler(title, endpoint string) http.Handler {
	mark := newNonce() // stands for the nonce; no title or path holds it
	var b strings.Builder
	err := page.Execute(&b, map[string]string{
		"Title": title, "Endpoint": endpoint, "Assets": AssetsPath, "Nonce": mark,
	})
	if err != nil {
		panic(err) // the template is fixed at build time and takes only strings
	}
	before, after, _ := strings.Cut(b.String(), mark)
	cspBefore, cspAfter, _ := strings.Cut(csp(mark), mark)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce := newNonce()
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", cspBefore+nonce+cspAfter)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store") // a fresh nonce each time
		_, _ = io.WriteString(w, before+nonce+after)
	})
}

// csp allows only this origin. Scripts come from files (the page has no
// inline script). Styles: Radix UI dialogs in GraphiQL add <style> elements
// (scroll lock); they carry nonce, which playground.js hands to the bundle,
// so no 'unsafe-inline' is needed. Fonts and a few images are data: URLs
// inside graphiql.min.css. connect-src 'self' covers ws:// to this host.
func csp(nonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)                            // crypto/rand.Read does not fail
	return base64.RawURLEncoding.EncodeToString(b) // no "+" or "/", which html/template would escape
}

// contentTypes are set here rather than read from the system's MIME table,
// which varies between machines.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

type asset struct {
	body []byte
	etag string
	ct   string
}

// Assets serves the embedded files under AssetsPath. The names carry no
// version, so browsers revalidate (no-cache) against a content hash.
func Assets() http.Handler {
	assets := map[string]asset{}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		assets[AssetsPath+strings.TrimPrefix(p, "assets/")] = asset{body, `"` + hex.EncodeToString(sum[:16]) + `"`, ct}
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ct)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

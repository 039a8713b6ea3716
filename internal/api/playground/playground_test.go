package playground

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	reference = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	anyURL    = regexp.MustCompile(`(?i)(?:https?:|wss?:)?//[^\s"'<>]*`)
)

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

// The page names only same-origin paths, and each one is served from the
// embedded files with its content type: nothing is fetched from elsewhere.
func TestPageAssetsAreServedFromTheBinary(t *testing.T) {
	w := get(t, Handler("tongxue", "/graphql"), "/")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	html := w.Body.String()
	if u := anyURL.FindString(html); u != "" {
		t.Fatalf("the page names a URL with a host: %s", u)
	}
	refs := reference.FindAllStringSubmatch(html, -1)
	if len(refs) < 8 { // 3 style sheets, 5 scripts
		t.Fatalf("the page references %d files: %s", len(refs), html)
	}
	assets := Assets()
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for _, m := range refs {
		ref := m[1]
		if ref == "data:," { // the empty favicon, so the browser asks for none
			continue
		}
		if !strings.HasPrefix(ref, AssetsPath) {
			t.Errorf("%s is not under %s", ref, AssetsPath)
			continue
		}
		a := get(t, assets, ref)
		if a.Code != http.StatusOK || a.Header().Get("Content-Type") != want[path.Ext(ref)] {
			t.Errorf("%s: %d %q", ref, a.Code, a.Header().Get("Content-Type"))
			continue
		}
		onDisk, err := os.ReadFile("assets/" + strings.TrimPrefix(ref, AssetsPath))
		if err != nil || a.Body.String() != string(onDisk) || len(onDisk) == 0 {
			t.Errorf("%s differs from the file in assets/ (%v)", ref, err)
		}
		etag := a.Header().Get("ETag")
		r := httptest.NewRequest(http.MethodGet, ref, nil)
		r.Header.Set("If-None-Match", etag)
		again := httptest.NewRecorder()
		assets.ServeHTTP(again, r)
		if etag == "" || again.Code != http.StatusNotModified {
			t.Errorf("%s revalidated with ETag %q: %d", ref, etag, again.Code)
		}
	}
	if got := get(t, assets, AssetsPath+"../page.html").Code; got != http.StatusNotFound {
		t.Errorf("a path outside the assets: %d", got)
	}
	if got := get(t, assets, AssetsPath+"vendor/").Code; got != http.StatusNotFound {
		t.Errorf("a directory listing: %d", got)
	}
}

// The policy allows this origin only; each page gets its own style nonce,
// which is the one handed to the page's script.
func TestPageContentSecurityPolicyAllowsOnlySelf(t *testing.T) {
	h := Handler("tongxue", "/graphql")
	first, second := get(t, h, "/"), get(t, h, "/")
	policy := first.Header().Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(policy)
	if nonce == nil || !strings.Contains(first.Body.String(), `nonce="`+nonce[1]+`"`) {
		t.Fatalf("nonce of %q not on the page's script", policy)
	}
	if second.Header().Get("Content-Security-Policy") == policy {
		t.Fatal("two pages share a nonce")
	}
	// The page is rendered once: each request's nonce is the one written in.
	secondNonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(second.Header().Get("Content-Security-Policy"))
	if secondNonce == nil || strings.Count(second.Body.String(), `nonce="`+secondNonce[1]+`"`) != 1 {
		t.Fatalf("the second page's script does not carry its own nonce")
	}
	want := map[string]string{
		"default-src": "'none'", "script-src": "'self'", "style-src": "'self' 'nonce-" + nonce[1] + "'",
		"font-src": "'self' data:", "img-src": "'self' data:", "connect-src": "'self'",
		"base-uri": "'none'", "form-action": "'none'", "frame-ancestors": "'none'",
	}
	got := map[string]string{}
	for _, d := range strings.Split(policy, "; ") {
		name, sources, _ := strings.Cut(d, " ")
		got[name] = sources
	}
	if !maps.Equal(got, want) {
		t.Fatalf("policy %q, want %v", policy, want)
	}
}

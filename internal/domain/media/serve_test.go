package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	s, _ := newStore(t)
	img := cleaned(t, phoneJPEG(t, 32, 32, 6))
	key, err := s.Put(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	public := Guard{Public: func(context.Context, string) (bool, error) { return true, nil }}
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", Serve(s, public)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}

	res, body := do("GET", "/media/"+key)
	if res.StatusCode != 200 || !bytes.Equal(body, img.Data) {
		t.Fatalf("GET: %d, %d bytes", res.StatusCode, len(body))
	}
	want := map[string]string{
		"Content-Type":            "image/jpeg",
		"Cache-Control":           "private, max-age=86400, immutable", // personal data: no shared cache
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'",
		"Etag":                    `"` + key + `"`,
	}
	for h, v := range want {
		if got := res.Header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}

	res, body = do("HEAD", "/media/"+key)
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("HEAD: %d, %d bytes", res.StatusCode, len(body))
	}
	res, _ = do("GET", "/media/"+key, "If-None-Match", `"`+key+`"`)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %d", res.StatusCode)
	}
	res, _ = do("POST", "/media/"+key)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", res.StatusCode)
	}

	missing := strings.Repeat("0", 64)
	for _, p := range []string{
		"/media/" + missing,
		"/media/" + strings.ToUpper(key),
		"/media/" + key[:63],
		"/media/" + key + "/",
		"/media/" + key + ".jpg",
		"/media/",
		"/media/..%2f..%2fetc%2fpasswd",
		"/media/" + key[:2] + "/" + key[2:],
		"/media/" + key[:2] + "%2f" + key[2:],
	} {
		res, body := do("GET", p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
		if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: 404 cached with %q", p, cc)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || bytes.Contains(body, []byte(key)) {
			t.Errorf("GET %s: headers %v body %q", p, res.Header, body)
		}
	}

	// Without StripPrefix's trailing slash the path keeps its "/".
	rec := httptest.NewRecorder()
	http.StripPrefix("/media", Serve(s, public)).ServeHTTP(rec, httptest.NewRequest("GET", "/media/"+key, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("mounted without slash: %d", rec.Code)
	}
}

type failingStore struct{ Store }

func (failingStore) Get(context.Context, string) ([]byte, string, error) {
	return nil, "", errors.New("disk on fire: /secret/path")
}

func TestServeStoreError(t *testing.T) {
	rec := httptest.NewRecorder()
	Serve(failingStore{}, Guard{Public: func(context.Context, string) (bool, error) { return true, nil }}).ServeHTTP(rec, httptest.NewRequest("GET", "/"+strings.Repeat("a", 64), nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") ||
		strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("store failure: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

// A picture that is not public is served only with a valid, unexpired
// signature of its own key; without one the answer is the 404 of a missing
// picture, with a wrong or expired one 403, never cached.
func TestServeSigned(t *testing.T) {
	s, _ := newStore(t)
	img := cleaned(t, phoneJPEG(t, 16, 16, 1))
	ctx := context.Background()
	key, err := s.Put(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Put(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 10, 7, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	secret := bytes.Repeat([]byte{7}, 32)
	urls, err := NewURLs(secret, clock)
	if err != nil {
		t.Fatal(err)
	}
	private := Guard{URLs: urls, Public: func(context.Context, string) (bool, error) { return false, nil }}
	h := http.StripPrefix("/media/", Serve(s, private))
	get := func(u string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		return rec
	}
	signed := urls.Signed(key)
	if !strings.HasPrefix(signed, URLPath+key+"?exp=") || urls.Signed(key) != signed {
		t.Fatalf("signed URL %q (stable within a window)", signed)
	}
	if rec := get(signed); rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), img.Data) ||
		rec.Header().Get("Cache-Control") != "private, max-age=1380" { // until 10:30
		t.Fatalf("signed: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	if rec := get(URLPath + key); rec.Code != 404 {
		t.Fatalf("unsigned private picture: %d", rec.Code)
	}
	u, _ := url.Parse(signed)
	q := u.Query()
	forged := map[string]string{
		"another key":     URLPath + other + "?" + q.Encode(),
		"later expiry":    URLPath + key + "?exp=" + "9999999999" + "&sig=" + q.Get("sig"),
		"no signature":    URLPath + key + "?exp=" + q.Get("exp"),
		"bad signature":   URLPath + key + "?exp=" + q.Get("exp") + "&sig=" + strings.Repeat("A", 43),
		"another secret":  mustSigned(t, bytes.Repeat([]byte{8}, 32), clock, key),
		"expiry no digit": URLPath + key + "?exp=x&sig=" + q.Get("sig"),
	}
	for name, u := range forged {
		if rec := get(u); rec.Code != http.StatusForbidden || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %q", name, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	now = now.Add(2*SignedWindow - 7*time.Minute) // 10:30: the URL has expired
	if rec := get(signed); rec.Code != http.StatusForbidden {
		t.Fatalf("expired URL: %d", rec.Code)
	}
	if rec := get(urls.Signed(key)); rec.Code != 200 {
		t.Fatalf("a fresh URL: %d", rec.Code)
	}
	if _, err := NewURLs(secret[:16], clock); err == nil {
		t.Fatal("a short secret accepted")
	}
}

func mustSigned(t *testing.T, secret []byte, now func() time.Time, key string) string {
	t.Helper()
	u, err := NewURLs(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	return u.Signed(key)
}

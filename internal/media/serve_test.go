package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	s, _ := newStore(t)
	img := cleaned(t, phoneJPEG(t, 32, 32, 6))
	key, err := s.Put(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", Serve(s)))
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
	http.StripPrefix("/media", Serve(s)).ServeHTTP(rec, httptest.NewRequest("GET", "/media/"+key, nil))
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
	Serve(failingStore{}).ServeHTTP(rec, httptest.NewRequest("GET", "/"+strings.Repeat("a", 64), nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") ||
		strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("store failure: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	webApp  = "https://app.example.com" // in TONGXUE_ALLOWED_ORIGINS
	foreign = "https://evil.example"
)

// corsServer serves the graph with webApp allowed, on e's database and
// services.
func corsServer(t *testing.T, e *apitest.Env) string {
	d := *e.Services // a copy: e's own server keeps its settings
	d.Web.AllowedOrigins = []string{webApp}
	srv := httptest.NewServer(api.NewHandler(&d))
	t.Cleanup(srv.Close)
	return srv.URL
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	var r apitest.Response
	_ = json.Unmarshal([]byte(a.body), &r)
	return r.Code()
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// noCORS fails when a foreign origin got any Access-Control-* header.
func noCORS(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("%s: foreign origin got %s: %q", what, k, h.Get(k))
		}
	}
}

func varyOrigin(t *testing.T, what string, h http.Header) {
	t.Helper()
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("%s: Vary = %q, want Origin", what, h.Values("Vary"))
	}
}

// Preflights: an allowed origin learns what it may send, a foreign one is
// refused with no CORS header.
func TestCORSPreflight(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		url := corsServer(t, apitest.New(t, db, apitest.Options{}))
		preflight := func(origin string) answer {
			req, _ := http.NewRequest(http.MethodOptions, url+"/graphql", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			return send(t, req)
		}
		a := preflight(webApp)
		if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != webApp {
			t.Fatalf("allowed preflight: %d %v", a.status, a.header)
		}
		if m := a.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
			t.Errorf("Allow-Methods = %q", m)
		}
		h := strings.ToLower(a.header.Get("Access-Control-Allow-Headers"))
		if !strings.Contains(h, "authorization") || !strings.Contains(h, "content-type") {
			t.Errorf("Allow-Headers = %q", h)
		}
		if a.header.Get("Access-Control-Max-Age") == "" {
			t.Error("no Access-Control-Max-Age")
		}
		if a.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials allowed: the API takes bearer tokens, never cookies")
		}
		varyOrigin(t, "allowed preflight", a.header)

		for _, o := range []string{foreign, "null", "https://app.example.com.evil.example", "http://app.example.com"} {
			a := preflight(o)
			if a.status != http.StatusForbidden || a.code() != "FORBIDDEN" {
				t.Errorf("preflight from %s: %d %s", o, a.status, a.body)
			}
			noCORS(t, "preflight from "+o, a.header)
			varyOrigin(t, "refused preflight", a.header)
		}
	})
}

// A multipart POST needs no preflight: from a foreign page it is refused
// before anything is read or written; from the web app, from the server's
// own pages and from the apps (no Origin) it works.
func TestCORSMultipart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		url := corsServer(t, e)
		tok := e.Login(t, "13912345601")
		photo := testJPEG(t)
		createPost := func(origin, text string) answer {
			ops, _ := json.Marshal(map[string]any{
				"query":     `mutation($in: CreatePostInput!) { createPost(input: $in) { id images { url } } }`,
				"variables": map[string]any{"in": map[string]any{"text": text, "images": []any{nil}}},
			})
			req := multipartRequest(t, url+"/graphql", map[string]string{
				"operations": string(ops), "map": `{"0": ["variables.in.images.0"]}`}, "0", photo)
			req.Header.Set("Authorization", "Bearer "+tok)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			return send(t, req)
		}
		posts := func() int { return db.Client.Post.Query().CountX(t.Context()) }

		for _, o := range []string{foreign, "null"} {
			a := createPost(o, "跨站")
			if a.status != http.StatusForbidden || a.code() != "FORBIDDEN" {
				t.Fatalf("multipart from %s: %d %s", o, a.status, a.body)
			}
			noCORS(t, "multipart from "+o, a.header)
		}
		if n := posts(); n != 0 {
			t.Fatalf("%d posts written by refused requests", n)
		}
		if n := db.Client.PostImage.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d pictures written by refused requests", n)
		}
		if n := mediaFiles(t); n != 0 {
			t.Fatalf("%d picture files stored by refused requests", n)
		}
		// Anonymous forms too: a foreign page cannot spend someone's SMS budget.
		ops := `{"query": "mutation { requestLoginCode(phone: \"13912345602\") { sentTo } }"}`
		req := multipartRequest(t, url+"/graphql", map[string]string{"operations": ops, "map": "{}"}, "", nil)
		req.Header.Set("Origin", foreign)
		if a := send(t, req); a.status != http.StatusForbidden || e.SMS.Count("13912345602") != 0 {
			t.Fatalf("anonymous multipart from a foreign origin: %d %s, %d SMS", a.status, a.body, e.SMS.Count("13912345602"))
		}

		for i, o := range []string{webApp, url, ""} { // the web app, the playground's own origin, the apps
			a := createPost(o, "同源")
			var r apitest.Response
			if err := json.Unmarshal([]byte(a.body), &r); err != nil || a.status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("multipart from %q: %d %s", o, a.status, a.body)
			}
			if n := posts(); n != i+1 {
				t.Fatalf("multipart from %q: %d posts", o, n)
			}
			if !strings.Contains(string(r.Data), `"images":[{"url":"`) {
				t.Fatalf("multipart from %q: no picture in %s", o, r.Data)
			}
			if got := a.header.Get("Access-Control-Allow-Origin"); got != o {
				t.Errorf("multipart from %q: Access-Control-Allow-Origin %q", o, got)
			}
			if o != "" && a.header.Get("Access-Control-Expose-Headers") == "" {
				t.Errorf("multipart from %q: X-Request-Id not exposed", o)
			}
			varyOrigin(t, "multipart", a.header)
		}
		if n := mediaFiles(t); n == 0 {
			t.Fatal("mediaFiles finds no picture file even after accepted uploads")
		}
	})
}

// The other simple requests: /graphql takes neither text/plain nor form
// bodies (415), but the payment callback reads any body, so the refusal
// must come before the route; a foreign GET runs (it only reads) but its
// answer carries no CORS header, so the foreign page cannot read it.
func TestCORSOtherSimpleRequests(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		url := corsServer(t, e)
		post := func(path, ctype, origin string) answer {
			req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", ctype)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			return send(t, req)
		}
		for _, ctype := range []string{"text/plain", "application/x-www-form-urlencoded"} {
			if a := post("/graphql", ctype, ""); a.status != http.StatusUnsupportedMediaType {
				t.Errorf("%s without Origin: %d %s", ctype, a.status, a.body)
			}
			for _, path := range []string{"/graphql", "/payments/callback/sandbox"} {
				if a := post(path, ctype, foreign); a.status != http.StatusForbidden || a.code() != "FORBIDDEN" {
					t.Errorf("%s %s from a foreign origin: %d %s", ctype, path, a.status, a.body)
				}
			}
		}
		if a := post("/payments/callback/sandbox", "text/plain", ""); a.status == http.StatusForbidden {
			t.Errorf("provider callback without Origin refused: %s", a.body)
		}
		// A JSON POST would have been preflighted (and refused); a client
		// that skips the preflight is refused all the same.
		if a := post("/graphql", "application/json", foreign); a.status != http.StatusForbidden {
			t.Errorf("JSON from a foreign origin: %d %s", a.status, a.body)
		}
		if a := post("/graphql", "application/json", webApp); a.status != http.StatusOK || a.header.Get("Access-Control-Allow-Origin") != webApp {
			t.Errorf("JSON from the web app: %d %v %s", a.status, a.header, a.body)
		}

		req, _ := http.NewRequest(http.MethodGet, url+"/graphql?query={__typename}", nil)
		req.Header.Set("Origin", foreign)
		a := send(t, req)
		if a.status != http.StatusOK {
			t.Errorf("GET from a foreign origin: %d %s", a.status, a.body)
		}
		noCORS(t, "GET from a foreign origin", a.header)
		varyOrigin(t, "GET from a foreign origin", a.header)
	})
}

// mediaFiles counts the files in the media stores of the test's temporary
// folders (apitest keeps its store in one of them).
func mediaFiles(t *testing.T) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Dir(t.TempDir()), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.Contains(p, string(filepath.Separator)+"media"+string(filepath.Separator)) {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func multipartRequest(t *testing.T, url string, fields map[string]string, file string, data []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, k := range []string{"operations", "map"} { // the spec's order
		_ = w.WriteField(k, fields[k])
	}
	if file != "" {
		fw, _ := w.CreateFormFile(file, "photo.jpg")
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

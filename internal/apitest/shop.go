package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/seed"
)

// Seed loads the demo data set.
func (e *Env) Seed(t testing.TB) seed.Stats {
	t.Helper()
	st, loaded, err := seed.IfEmpty(t.Context(), e.DB.Client, e.Keys, time.Now())
	if err != nil || !loaded {
		t.Fatalf("seed: %v (loaded %v)", err, loaded)
	}
	return st
}

// Grant gives consents to the purposes.
func (e *Env) Grant(t testing.TB, token string, purposes ...string) {
	t.Helper()
	for _, p := range purposes {
		if r := e.Post(t, token, `mutation($p: Purpose!) { grantConsent(purpose: $p, channel: POPUP) { granted } }`,
			map[string]any{"p": p}); len(r.Errors) > 0 {
			t.Fatalf("grant %s: %+v", p, r.Errors)
		}
	}
}

// Must posts and fails the test on any error, decoding data into out (may be nil).
func (e *Env) Must(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := e.Post(t, token, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %+v", query, r.Errors)
	}
	if out != nil {
		r.Decode(t, out)
	}
}

// Upload sends a GraphQL multipart request (the multipart request spec):
// files maps a variable path such as "variables.input.cardPhoto" to content.
func (e *Env) Upload(t testing.TB, token, query string, vars map[string]any, files map[string][]byte) *Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_ = w.WriteField("operations", string(ops))
	m := map[string][]string{}
	i := 0
	for path := range files {
		m[fmt.Sprint(i)] = []string{path}
		i++
	}
	mj, _ := json.Marshal(m)
	_ = w.WriteField("map", string(mj))
	for key, paths := range m {
		fw, _ := w.CreateFormFile(key, "photo.jpg")
		_, _ = fw.Write(files[paths[0]])
	}
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.URL, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(t, req)
}

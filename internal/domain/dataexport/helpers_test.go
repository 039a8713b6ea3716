package dataexport_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
)

const (
	alice = "13800138001"
	bob   = "13800138002"

	requestQ = `mutation { requestDataExport { id status createdAt readyAt expiresAt downloadedAt sizeBytes } }`
	mineQ    = `{ myDataExports { id status readyAt expiresAt downloadedAt sizeBytes } }`
	linkQ    = `mutation($id: ID!) { dataExportLink(id: $id) { url expiresAt } }`
)

type exportView struct {
	ID, Status   string
	ReadyAt      *string
	ExpiresAt    *string
	DownloadedAt *string
	SizeBytes    *int
}

// requestExport starts an export as the app does and returns it.
func requestExport(t *testing.T, e *apitest.Env, token string) exportView {
	t.Helper()
	var out struct{ RequestDataExport exportView }
	e.Must(t, token, requestQ, nil, &out)
	return out.RequestDataExport
}

func mine(t *testing.T, e *apitest.Env, token string) []exportView {
	t.Helper()
	var out struct{ MyDataExports []exportView }
	e.Must(t, token, mineQ, nil, &out)
	return out.MyDataExports
}

// stepUp opens the reveal window on the session: an SMS code to the
// account's own phone, verified.
func stepUp(t *testing.T, e *apitest.Env, token, phone string) {
	t.Helper()
	e.SkipCooldowns(t)
	e.Must(t, token, `mutation { requestRevealCode { sentTo } }`, nil, nil)
	e.Must(t, token, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`,
		map[string]any{"c": e.SMS.LastCode(phone)}, nil)
}

// linkFor asks for a download link and returns its URL, failing the test
// on an error.
func linkFor(t *testing.T, e *apitest.Env, token, id string) string {
	t.Helper()
	var out struct {
		DataExportLink struct{ URL, ExpiresAt string }
	}
	e.Must(t, token, linkQ, map[string]any{"id": id}, &out)
	return out.DataExportLink.URL
}

type fetched struct {
	status int
	header http.Header
	body   []byte
}

// fetch GETs a download link with a session token ("" sends none).
func fetch(t *testing.T, url, token string) fetched {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{status: resp.StatusCode, header: resp.Header, body: body}
}

// unzip reads every entry of an archive, in order.
func unzip(t *testing.T, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

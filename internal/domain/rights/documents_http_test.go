package rights_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// R7: staff open a next of kin's files over HTTP while the request is open;
// a student cannot; each opening is in the deceased user's reveal audit;
// once the request is answered the files are gone.
func TestStaffOpenKinDocumentsOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		r := w.kinRequest(t, alice, "ACCESS")
		get := func(token string, n string) (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodGet, w.e.Server.URL+"/staff/privacy-requests/"+r.ID+"/documents/"+n, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp, body
		}
		resp, body := get(w.staff, "2")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(body, pdf) ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("staff, document 2: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if resp, _ := get(w.alice, "1"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a student: %d", resp.StatusCode)
		}
		if resp, _ := get(w.staff, "3"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("past the last document: %d", resp.StatusCode)
		}
		audited, err := db.Client.SensitiveAccess.Query().Where(sensitiveaccess.SubjectID(w.e.UserID(t, alice)),
			sensitiveaccess.Field("PrivacyRequest.kinDocuments")).Count(t.Context())
		// Both staff calls opened the sealed files (the second found no third
		// file); the student's was refused before anything was opened.
		if err != nil || audited != 2 {
			t.Fatalf("openings recorded = %d, %v; want 2", audited, err)
		}
		w.answer(t, r.ID, "已向申请人提供查阅", false)
		if resp, _ := get(w.staff, "1"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("after the answer: %d", resp.StatusCode)
		}
	})
}

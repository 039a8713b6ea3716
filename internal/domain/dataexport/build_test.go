package dataexport_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/internal/apitest"
	dx "github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// The housekeeping job builds exports a request left pending; run on two
// instances at once, each export is built once and every one gets built.
func TestBuildPendingBuildsEachExportOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		const n = 6
		for i := range n {
			e.Login(t, fmt.Sprintf("1380013810%d", i))
		}
		for _, id := range db.Client.User.Query().IDsX(t.Context()) {
			db.Client.DataExport.Create().SetUserID(id).ExecX(t.Context())
		}
		second := dx.New(dx.Deps{DB: db, Keys: e.Keys, Now: e.Services.Now, Log: e.Services.Log})
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			built int
		)
		for _, s := range []*dx.Service{e.Services.Exports, second} {
			wg.Go(func() {
				k, err := s.BuildPending(t.Context(), 100)
				if err != nil {
					t.Errorf("BuildPending: %v", err)
				}
				mu.Lock()
				built += k
				mu.Unlock()
			})
		}
		wg.Wait()
		if built != n {
			t.Fatalf("the two instances built %d exports, want %d (each once)", built, n)
		}
		for _, x := range db.Client.DataExport.Query().AllX(t.Context()) {
			if x.Status != dataexport.StatusREADY || !held(x.ArchiveCipher) || x.ExpiresAt == nil {
				t.Fatalf("export %d: %s", x.ID, x.Status)
			}
			if _, err := e.Keys.Ring.Open(*x.ArchiveCipher, "data_exports.archive_cipher"); err != nil {
				t.Fatalf("export %d: %v", x.ID, err)
			}
		}
		if k, err := e.Services.Exports.BuildPending(t.Context(), 100); err != nil || k != 0 {
			t.Fatalf("nothing left to build: built %d, %v", k, err)
		}
	})
}

// A value that cannot be read into the copy fails the export (the user sees
// FAILED and may ask again); the log names the export, not the data.
func TestUnreadableDataFailsTheExportQuietly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, alice)
		e.Grant(t, tok, "FEEDBACK")
		e.Must(t, tok, `mutation { submitFeedback(input: {text: "好", contactPhone: "13911112222"}) { id } }`, nil, nil)
		// Sealed for another column: it does not open as a feedback contact.
		q, args := entsql.Dialect(db.Dialect).Update(feedback.Table).
			Set(feedback.FieldContactPhoneCipher, e.Keys.Ring.Seal([]byte("13911112222"), "users.phone_cipher")).Query()
		if _, err := db.SQL.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatal(err)
		}

		if x := requestExport(t, e, tok); x.Status != "FAILED" {
			t.Fatalf("export of unreadable data: %+v", x)
		}
		logs := e.Logs.String()
		if !strings.Contains(logs, "data export failed") || !strings.Contains(logs, "feedbacks") {
			t.Fatalf("the failure is not logged with its table: %s", logs)
		}
		for _, secret := range []string{alice, "13911112222"} {
			if strings.Contains(logs, secret) {
				t.Fatalf("the log holds %q", secret)
			}
		}
		if x := requestExport(t, e, tok); x.Status != "FAILED" || len(mine(t, e, tok)) != 2 {
			t.Fatalf("a failed export does not hold back a new one: %+v", x)
		}
	})
}

// Asking again for an export a build did not finish builds that one.
func TestRequestFinishesAPendingExport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, alice)
		pending := db.Client.DataExport.Create().SetUserID(e.UserID(t, alice)).SaveX(t.Context())
		x := requestExport(t, e, tok)
		if x.Status != "READY" || x.ID != e.Codec.EncodeID(pending.ID) {
			t.Fatalf("export %+v, want the pending one built", x)
		}
		if n := db.Client.DataExport.Query().CountX(t.Context()); n != 1 {
			t.Fatalf("%d exports", n)
		}
	})
}

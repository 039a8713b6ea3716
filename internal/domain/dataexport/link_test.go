package dataexport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/auth"
	dx "github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// A link opens the archive once, for the export's owner only; a newer
// link replaces an older one; after the download the archive is deleted.
func TestDownloadLinkWorksOnceForItsOwner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok, other := e.Login(t, alice), e.Login(t, bob)
		x := requestExport(t, e, tok)
		if x.Status != "READY" {
			t.Fatalf("export %+v", x)
		}

		stepUp(t, e, other, bob)
		if r := e.Post(t, other, linkQ, map[string]any{"id": x.ID}); r.Code() != "NOT_FOUND" {
			t.Fatalf("bob asks for alice's link: %s %+v", r.Data, r.Errors)
		}

		stepUp(t, e, tok, alice)
		old := linkFor(t, e, tok, x.ID)
		url := linkFor(t, e, tok, x.ID)
		if old == url || !strings.HasPrefix(url, e.Server.URL+dx.Path+"txe_") {
			t.Fatalf("links %q then %q: want two different links under %s%s", old, url, e.Server.URL, dx.Path)
		}
		if got := fetch(t, old, tok); got.status != 404 {
			t.Fatalf("a replaced link: %d", got.status)
		}
		if got := fetch(t, url, ""); got.status != 401 {
			t.Fatalf("without a session: %d", got.status)
		}
		if got := fetch(t, url, other); got.status != 404 || strings.Contains(string(got.body), alice) {
			t.Fatalf("bob's session on alice's link: %d %s", got.status, got.body)
		}
		got := fetch(t, url, tok)
		if got.status != 200 {
			t.Fatalf("owner, after bob tried: %d %s", got.status, got.body)
		}
		if _, files := unzip(t, got.body); !strings.Contains(string(files["users.json"]), alice) {
			t.Fatalf("the archive does not hold alice's phone: %s", files["users.json"])
		}
		if again := fetch(t, url, tok); again.status != 404 || again.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("second download: %d %v", again.status, again.header)
		}

		row := db.Client.DataExport.Query().OnlyX(t.Context())
		if row.Status != dataexport.StatusDOWNLOADED || held(row.ArchiveCipher) || held(row.TokenHash) || row.DownloadedAt == nil {
			t.Fatalf("after the download: status %s, archive kept %v, token kept %v", row.Status, held(row.ArchiveCipher), held(row.TokenHash))
		}
		if l := mine(t, e, tok); len(l) != 1 || l[0].Status != "DOWNLOADED" || l[0].DownloadedAt == nil {
			t.Fatalf("myDataExports %+v", l)
		}
		if r := e.Post(t, tok, linkQ, map[string]any{"id": x.ID}); r.Code() != "CONFLICT" {
			t.Fatalf("a link to a downloaded export: %+v", r.Errors)
		}
		if strings.Contains(e.Logs.String(), alice) || strings.Contains(e.Logs.String(), strings.TrimPrefix(url, e.Server.URL+dx.Path)) {
			t.Fatal("the logs hold alice's phone or the download token")
		}
	})
}

// The link needs a fresh SMS verification: none, or one older than the
// reveal window, is VERIFICATION_REQUIRED.
func TestLinkNeedsAFreshVerification(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, alice)
		x := requestExport(t, e, tok)
		if r := e.Post(t, tok, linkQ, map[string]any{"id": x.ID}); r.Code() != "VERIFICATION_REQUIRED" {
			t.Fatalf("without verification: %s %+v", r.Data, r.Errors)
		}
		stepUp(t, e, tok, alice)
		clock.Add(auth.RevealTTL + time.Second)
		if r := e.Post(t, tok, linkQ, map[string]any{"id": x.ID}); r.Code() != "VERIFICATION_REQUIRED" {
			t.Fatalf("after the window: %s %+v", r.Data, r.Errors)
		}
		stepUp(t, e, tok, alice)
		if url := linkFor(t, e, tok, x.ID); url == "" {
			t.Fatal("no link after a fresh verification")
		}
	})
}

// An export expires the declared period (ent/schema) after it is ready:
// its link opens nothing, no new link is given, it lists as EXPIRED, and
// the retention runner deletes its archive and link.
func TestExportExpires(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, alice)
		x := requestExport(t, e, tok)
		stepUp(t, e, tok, alice)
		url := linkFor(t, e, tok, x.ID)

		keep := retention.MustKeepOf(dataexport.Table, dataexport.FieldArchiveCipher)
		built := db.Client.DataExport.Query().OnlyX(t.Context())
		if built.ReadyAt == nil || built.ExpiresAt == nil || !built.ExpiresAt.Equal(keep.For.After(*built.ReadyAt)) {
			t.Fatalf("expires at %v, ready at %v: want the declared %s after it is ready", built.ExpiresAt, built.ReadyAt, keep.For)
		}
		clock.Set(built.ExpiresAt.Add(-time.Minute))
		if l := mine(t, e, tok); l[0].Status != "READY" {
			t.Fatalf("a minute before expiry: %+v", l)
		}
		clock.Add(2 * time.Minute)
		if got := fetch(t, url, tok); got.status != 404 {
			t.Fatalf("an expired link: %d", got.status)
		}
		if l := mine(t, e, tok); len(l) != 1 || l[0].Status != "EXPIRED" {
			t.Fatalf("myDataExports after expiry %+v", l)
		}
		stepUp(t, e, tok, alice)
		if r := e.Post(t, tok, linkQ, map[string]any{"id": x.ID}); r.Code() != "CONFLICT" {
			t.Fatalf("a link to an expired export: %+v", r.Errors)
		}
		runner, err := retention.New(retention.Deps{DB: db, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := runner.Run(t.Context()); err != nil || rep.Rows("exports", dataexport.Table) != 1 {
			t.Fatalf("retention run: %+v %v", rep.Counts, err)
		}
		row := db.Client.DataExport.Query().OnlyX(t.Context())
		if row.Status != dataexport.StatusEXPIRED || held(row.ArchiveCipher) || held(row.TokenHash) {
			t.Fatalf("expired row: %s, archive kept %v", row.Status, held(row.ArchiveCipher))
		}
		// An expired export no longer holds back a new one.
		if y := requestExport(t, e, tok); y.ID == x.ID || y.Status != "READY" {
			t.Fatalf("new export after expiry %+v", y)
		}
	})
}

// held reports whether a nullable bytes column holds a value (NULL scans as
// a pointer to nil).
func held(b *[]byte) bool { return b != nil && len(*b) > 0 }

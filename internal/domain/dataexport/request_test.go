package dataexport_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	dx "github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// One export at a time: asking again while one is ready gives that one
// (also when requests race, counted once); a new one after the download;
// at most RequestsPerDay in 24 hours.
func TestOneExportAtATimeAndADailyLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, alice)
		stepUp(t, e, tok, alice)
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				var out struct{ RequestDataExport exportView }
				r := e.Post(t, tok, requestQ, nil)
				if len(r.Errors) > 0 {
					t.Errorf("request %d: %+v", i, r.Errors)
					return
				}
				r.Decode(t, &out)
				ids[i] = out.RequestDataExport.ID
			})
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("concurrent requests made different exports: %v", ids)
			}
		}
		if n := db.Client.DataExport.Query().CountX(t.Context()); n != 1 {
			t.Fatalf("%d exports stored, want 1", n)
		}

		seen := map[string]bool{}
		for i := range dx.RequestsPerDay {
			x := requestExport(t, e, tok)
			if seen[x.ID] || x.Status != "READY" {
				t.Fatalf("request %d after %d downloads: %+v", i+1, i, x)
			}
			seen[x.ID] = true
			if got := fetch(t, linkFor(t, e, tok, x.ID), tok); got.status != 200 {
				t.Fatalf("download %d: %d", i+1, got.status)
			}
		}
		r := e.Post(t, tok, requestQ, nil)
		if r.Code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfter"] == nil {
			t.Fatalf("request %d in a day: %s %+v", dx.RequestsPerDay+1, r.Data, r.Errors)
		}
		if l := mine(t, e, tok); len(l) != dx.RequestsPerDay || l[0].ID == ids[0] {
			t.Fatalf("myDataExports, newest first: %+v", l)
		}
		if got := r.Errors[0].Extensions["retryAfter"]; got != float64(24*3600) {
			t.Fatalf("retryAfter %v, want 24 hours (the clock stood still)", got)
		}
		clock.Add(24 * time.Hour)
		if x := requestExport(t, e, tok); seen[x.ID] {
			t.Fatalf("next day: %+v", x)
		}
	})
}

// P1: during the policy gate (a major version not yet accepted) the user
// can still ask for, verify for and download a copy.
func TestExportWorksDuringThePolicyGate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok, admin := e.Login(t, alice), e.Login(t, "13800138009")
		e.SetRole(t, "13800138009", "STAFF")
		e.Must(t, admin, `mutation($in: PublishPolicyInput!) { publishPrivacyPolicy(input: $in) { version } }`,
			map[string]any{"in": map[string]any{"version": "2099-01-01", "effectiveAt": clock.Now().Add(time.Minute).Format(time.RFC3339Nano),
				"summary": "新增共享方", "major": true}}, nil)
		clock.Add(2 * time.Minute)
		if r := e.Post(t, tok, `{ me { id } }`, nil); r.Code() != "POLICY_UPDATE_REQUIRED" {
			t.Fatalf("the gate is not on: %+v", r.Errors)
		}
		x := requestExport(t, e, tok)
		if l := mine(t, e, tok); len(l) != 1 || l[0].ID != x.ID || x.Status != "READY" {
			t.Fatalf("export %+v, list %+v", x, l)
		}
		stepUp(t, e, tok, alice)
		if got := fetch(t, linkFor(t, e, tok, x.ID), tok); got.status != 200 {
			t.Fatalf("download during the gate: %d %s", got.status, got.body)
		}
	})
}

package errands_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// E2: only the requester and the runner ever see the pick-up code. Staff,
// whatever reason they state, are refused (FORBIDDEN, the field null, no
// fragment of the code) and nothing is recorded; a code erased after
// pick-up reveals nothing, so asking for it records nothing either.
func TestCredentialRevealOnlyForTheParties(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		req := e.Login(t, requester)
		runner := e.Login(t, "13400000031")
		e.SetRole(t, "13400000031", user.RoleRUNNER)
		staff := e.Login(t, "13400000032")
		e.SetRole(t, "13400000032", user.RoleSTAFF)
		e.Grant(t, req, "SHARE_COURIER")
		var made struct{ PostErrand struct{ ID string } }
		e.Must(t, req, post, nil, &made)
		vars := map[string]any{"id": made.PostErrand.ID}
		e.Must(t, runner, `mutation($id: ID!) { takeErrand(id: $id) { status } }`, vars, nil)

		records := func(actor string) int {
			return db.Client.SensitiveAccess.Query().Where(sensitiveaccess.Field("Errand.credential"),
				sensitiveaccess.ActorID(e.UserID(t, actor))).CountX(t.Context())
		}
		staffReveal := `query($id: ID!) { errand(id: $id) { status credential @reveal(reason: "用户投诉核实取件码 #2024-118") } }`
		refused := func(when string) {
			t.Helper()
			r := e.Post(t, staff, staffReveal, vars)
			if r.Code() != "FORBIDDEN" || !strings.Contains(string(r.Data), `"credential":null`) ||
				strings.Contains(string(r.Data), "3021") || strings.Contains(string(r.Data), "*") {
				t.Fatalf("staff reveal %s: %s %+v", when, r.Data, r.Errors)
			}
			if n := records("13400000032"); n != 0 {
				t.Fatalf("staff reveal %s: %d access records", when, n)
			}
		}
		refused("while the errand runs")
		// Staff still see the errand and the masked code without @reveal.
		if r := e.Post(t, staff, `query($id: ID!) { errand(id: $id) { status credential } }`, vars); len(r.Errors) > 0 ||
			!strings.Contains(string(r.Data), `"credential":"****"`) {
			t.Fatalf("staff without @reveal: %s %+v", r.Data, r.Errors)
		}

		// The parties reveal it, each reveal audited once.
		for _, p := range []struct{ tok, phone string }{{req, requester}, {runner, "13400000031"}} {
			r := e.Post(t, p.tok, `query($id: ID!) { errand(id: $id) { credential @reveal } }`, vars)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"credential":"6-2-3021"`) {
				t.Fatalf("party %s: %s %+v", p.phone, r.Data, r.Errors)
			}
			if n := records(p.phone); n != 1 {
				t.Fatalf("party %s: %d access records, want 1", p.phone, n)
			}
		}

		// Picked up: the code is erased; asking for it reveals and records nothing.
		e.Must(t, runner, `mutation($id: ID!) { pickUpErrand(id: $id) { status } }`, vars, nil)
		for _, p := range []struct{ tok, phone string }{{req, requester}, {runner, "13400000031"}} {
			r := e.Post(t, p.tok, `query($id: ID!) { errand(id: $id) { credential @reveal } }`, vars)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"credential":null`) {
				t.Fatalf("party %s after pick-up: %s %+v", p.phone, r.Data, r.Errors)
			}
			if n := records(p.phone); n != 1 {
				t.Fatalf("party %s: reveal of the erased code recorded (%d records)", p.phone, n)
			}
		}
		refused("after the code was erased")
		// The requester's access list shows the two real reveals only.
		var acc struct {
			MySensitiveDataAccess []struct{ Field, ActorRole string }
		}
		e.Must(t, req, `{ mySensitiveDataAccess { field actorRole } }`, nil, &acc)
		if len(acc.MySensitiveDataAccess) != 2 {
			t.Fatalf("access list %+v", acc)
		}
		for _, a := range acc.MySensitiveDataAccess {
			if a.Field != "Errand.credential" || a.ActorRole == "STAFF" {
				t.Fatalf("access list %+v", acc)
			}
		}
	})
}

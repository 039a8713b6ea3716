package errands_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	requester = "13400000001"
	post      = `mutation { postErrand(input: {area: "东区", pickupPlace: "菜鸟驿站东区店", credential: "6-2-3021",
		parcelType: SMALL, weightGrams: 800, rewardFen: 300, recipientName: "陈小红", phone: "13400000001",
		address: "北京市海淀区清华大学紫荆公寓 12 号楼 301"}) { id status credential } }`
	full = `query($id: ID!) { errand(id: $id) { status credential pickupPlace delivery { recipientName phone address } } }`
)

// E1, E2: post, take (one of racing runners wins), move on; the credential
// is for the requester and the runner only and erased when the errand ends.
func TestErrandLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		req := e.Login(t, requester)
		runners := []string{"13400000011", "13400000012", "13400000013", "13400000014"}
		tokens := make([]string, len(runners))
		for i, p := range runners {
			tokens[i] = e.Login(t, p)
			e.SetRole(t, p, user.RoleRUNNER)
		}
		stranger := e.Login(t, "13400000099")

		if r := e.Post(t, req, post, nil); r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("without the courier consent: %+v", r.Errors)
		}
		e.Grant(t, req, "SHARE_COURIER")
		for _, bad := range [][2]string{{"weightGrams: 800", "weightGrams: 0"}, {`phone: "13400000001"`, `phone: "123"`},
			{"rewardFen: 300", "rewardFen: 5"}, {`pickupPlace: "菜鸟驿站东区店"`, `pickupPlace: " "`}} {
			if r := e.Post(t, req, strings.Replace(post, bad[0], bad[1], 1), nil); r.Code() != "BAD_USER_INPUT" {
				t.Fatalf("%s: %+v", bad[1], r.Errors)
			}
		}
		if n := db.Client.Errand.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d errands stored from bad input", n)
		}
		var made struct {
			PostErrand struct{ ID, Status, Credential string }
		}
		e.Must(t, req, post, nil, &made)
		id := made.PostErrand.ID
		if made.PostErrand.Status != "OPEN" || made.PostErrand.Credential != "****" {
			t.Fatalf("posted %+v", made)
		}
		// Runners see only what choosing needs.
		r := e.Post(t, tokens[0], `{ openErrands(area: "东区") { id area parcelType weightGrams rewardFen } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), id) || strings.Contains(string(r.Data), "陈") {
			t.Fatalf("open errands: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, req, `{ openErrands { id } }`, nil); r.Code() != "FORBIDDEN" {
			t.Fatalf("a student lists open errands: %+v", r.Errors)
		}

		// Four runners race: exactly one takes it.
		var wg sync.WaitGroup
		results := make([]string, len(tokens))
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.Post(t, tok, `mutation($id: ID!) { takeErrand(id: $id) { status } }`, map[string]any{"id": id})
				results[i] = r.Code()
			}()
		}
		wg.Wait()
		winner := -1
		for i, c := range results {
			if c == "" {
				if winner >= 0 {
					t.Fatalf("two runners took it: %v", results)
				}
				winner = i
			} else if c != "CONFLICT" {
				t.Fatalf("a losing runner got %q", c)
			}
		}
		if winner < 0 {
			t.Fatalf("nobody took it: %v", results)
		}
		runner := tokens[winner]
		loser := tokens[(winner+1)%len(tokens)]

		// The credential: requester and runner may reveal it; nobody else sees the errand.
		for _, tok := range []string{req, runner} {
			r := e.Post(t, tok, `query($id: ID!) { errand(id: $id) { credential @reveal } }`, map[string]any{"id": id})
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "6-2-3021") {
				t.Fatalf("credential for a party: %s %+v", r.Data, r.Errors)
			}
		}
		for _, tok := range []string{loser, stranger} {
			if r := e.Post(t, tok, full, map[string]any{"id": id}); r.Code() != "NOT_FOUND" {
				t.Fatalf("an outsider reads the errand: %s %+v", r.Data, r.Errors)
			}
		}
		// The runner reveals the address, never the phone.
		r = e.Post(t, runner, `query($id: ID!) { errand(id: $id) { delivery { recipientName phone address @reveal } } }`, map[string]any{"id": id})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "紫荆公寓") || !strings.Contains(string(r.Data), "陈**") ||
			strings.Contains(string(r.Data), requester) {
			t.Fatalf("delivery for the runner: %s %+v", r.Data, r.Errors)
		}

		if r := e.Post(t, req, `mutation($id: ID!) { pickUpErrand(id: $id) { status } }`, map[string]any{"id": id}); r.Code() != "FORBIDDEN" {
			t.Fatalf("requester picks up: %+v", r.Errors)
		}
		e.Must(t, runner, `mutation($id: ID!) { pickUpErrand(id: $id) { status } }`, map[string]any{"id": id}, nil)
		// Picked up: the credential has served its purpose and is gone.
		if r := e.Post(t, runner, `query($id: ID!) { errand(id: $id) { credential @reveal } }`, map[string]any{"id": id}); strings.Contains(string(r.Data), "6-2-3021") {
			t.Fatalf("credential after pick-up: %s", r.Data)
		}
		e.Must(t, runner, `mutation($id: ID!) { deliverErrand(id: $id) { status } }`, map[string]any{"id": id}, nil)
		// Delivered: the address is no longer the runner's to read.
		if r := e.Post(t, runner, `query($id: ID!) { errand(id: $id) { delivery { address @reveal } } }`, map[string]any{"id": id}); r.Code() != "FORBIDDEN" || strings.Contains(string(r.Data), "紫荆公寓") {
			t.Fatalf("runner reveals after delivery: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, req, `mutation($id: ID!) { cancelErrand(id: $id) { status } }`, map[string]any{"id": id}); r.Code() != "INVALID_TRANSITION" {
			t.Fatalf("cancel after delivery: %+v", r.Errors)
		}
		var done struct{ CompleteErrand struct{ Status string } }
		e.Must(t, req, `mutation($id: ID!) { completeErrand(id: $id) { status } }`, map[string]any{"id": id}, &done)
		if done.CompleteErrand.Status != "COMPLETED" {
			t.Fatalf("completed %+v", done)
		}
		// Erased: from the graph and from the table.
		r = e.Post(t, req, `query($id: ID!) { errand(id: $id) { credential @reveal } }`, map[string]any{"id": id})
		if strings.Contains(string(r.Data), "6-2-3021") || !strings.Contains(string(r.Data), `"credential":null`) {
			t.Fatalf("credential after completion: %s %+v", r.Data, r.Errors)
		}
		eid, _ := e.Codec.DecodeID(id)
		var n int
		q := `SELECT COUNT(*) FROM errands WHERE id = ? AND credential_cipher IS NULL`
		if db.Dialect == "postgres" {
			q = strings.Replace(q, "?", "$1", 1)
		}
		if err := db.SQL.QueryRow(q, eid).Scan(&n); err != nil || n != 1 {
			t.Fatalf("credential_cipher not erased: %d %v", n, err)
		}
		if got := db.Client.Errand.GetX(t.Context(), eid); got.Status != errand.StatusCOMPLETED {
			t.Fatalf("status %s", got.Status)
		}
		// The requester's ledger names the runner's hand-over.
		r = e.Post(t, req, `{ mySharingRecords { purpose reference } }`, nil)
		if !strings.Contains(string(r.Data), "SHARE_COURIER") {
			t.Fatalf("ledger %s", r.Data)
		}
	})
}

// errandUpdated pushes each state change to the requester, and to the
// runner once they have taken it (a cancellation too).
func TestErrandUpdatesArePushed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		req := e.Login(t, requester)
		run := e.Login(t, "13400000021")
		e.SetRole(t, "13400000021", user.RoleRUNNER)
		e.Grant(t, req, "SHARE_COURIER")
		ws := e.Socket(t, req)
		ws.Send("subscribe", "1", map[string]any{"query": `subscription { errandUpdated { errandID status } }`})
		e.Listening(t, 1)
		var made struct{ PostErrand struct{ ID string } }
		e.Must(t, req, post, nil, &made)
		id := made.PostErrand.ID
		e.Must(t, run, `mutation($id: ID!) { takeErrand(id: $id) { status } }`, map[string]any{"id": id}, nil)
		e.Must(t, run, `mutation($id: ID!) { pickUpErrand(id: $id) { status } }`, map[string]any{"id": id}, nil)
		for _, want := range []string{"TAKEN", "PICKED_UP"} {
			m := ws.Expect("next")
			if !strings.Contains(string(m.Payload), want) || !strings.Contains(string(m.Payload), id) {
				t.Fatalf("want %s: %s", want, m.Payload)
			}
		}

		// A second errand: the runner hears the requester cancel it.
		rws := e.Socket(t, run)
		rws.Send("subscribe", "1", map[string]any{"query": `subscription { errandUpdated { errandID status } }`})
		e.Listening(t, 2)
		e.Must(t, req, post, nil, &made)
		second := made.PostErrand.ID
		e.Must(t, run, `mutation($id: ID!) { takeErrand(id: $id) { status } }`, map[string]any{"id": second}, nil)
		e.Must(t, req, `mutation($id: ID!) { cancelErrand(id: $id) { status } }`, map[string]any{"id": second}, nil)
		for _, want := range []string{"TAKEN", "CANCELLED"} {
			if m := rws.Expect("next"); !strings.Contains(string(m.Payload), want) || !strings.Contains(string(m.Payload), second) {
				t.Fatalf("runner wants %s: %s", want, m.Payload)
			}
		}
	})
}

// E2 under the consent: once the requester withdraws the courier consent,
// no runner can take the errand (nothing is handed over, nothing recorded).
func TestTakingNeedsTheCourierConsentNow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		req := e.Login(t, requester)
		runner := e.Login(t, "13400000021")
		e.SetRole(t, "13400000021", user.RoleRUNNER)
		e.Grant(t, req, "SHARE_COURIER")
		var made struct{ PostErrand struct{ ID string } }
		e.Must(t, req, post, nil, &made)
		e.Must(t, req, `mutation { withdrawConsent(purpose: SHARE_COURIER, channel: SETTINGS) { granted } }`, nil, nil)
		if r := e.Post(t, runner, `mutation($id: ID!) { takeErrand(id: $id) { status credential } }`, map[string]any{"id": made.PostErrand.ID}); r.Code() != "CONFLICT" {
			t.Fatalf("taken after the withdrawal: %s %+v", r.Data, r.Errors)
		}
		if n := db.Client.SharingRecord.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d hand-overs recorded", n)
		}
	})
}

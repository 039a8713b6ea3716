package rights_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// myPrivacyRequests has no page argument: a user with years of answered
// requests gets the newest rights.MineLimit of them, not every one.
func TestMyRequestsListIsBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-10-09", 10))
		ctx, aliceID := t.Context(), w.e.UserID(t, alice)
		start := w.clock.Now().AddDate(-2, 0, 0)
		for i := range rights.MineLimit + 5 {
			at := start.Add(time.Duration(i) * 24 * time.Hour)
			db.Client.PrivacyRequest.Create().SetUserID(aliceID).SetKind(privacyrequest.KindACCESS).
				SetStatus(privacyrequest.StatusANSWERED).SetAnswer("已答复").SetCreatedAt(at).
				SetDueAt(at.AddDate(0, 0, 21)).SetAnsweredAt(at.Add(time.Hour)).ExecX(ctx)
		}
		newest := w.submit(t, w.alice, "ACCESS", "")
		mine := w.mine(t, w.alice)
		if len(mine) != rights.MineLimit || mine[0].ID != newest.ID {
			t.Fatalf("%d requests listed, first %s: want the newest %d, first %s", len(mine), mine[0].ID,
				rights.MineLimit, newest.ID)
		}
		// The new one and the newest MineLimit-1 of the old: day 6 is the oldest listed.
		if got, want := mine[len(mine)-1].CreatedAt, start.Add(6*24*time.Hour); !got.Equal(want) {
			t.Fatalf("oldest listed created %v, want %v", got, want)
		}
	})
}

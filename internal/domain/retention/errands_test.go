package retention_test

import (
	"errors"
	"testing"

	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// An errand left DELIVERED (the requester never confirmed) is completed
// after the declared days, its pick-up code and parcel photo erased and the
// picture file deleted; 3 years after it ended the errand itself goes.
func TestDeliveredErrandsCompleteAndLoseTheirPhotoThenGoAfterThreeYears(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		e, ctx := f.e, f.ctx()
		requester, runner := e.Login(t, "13400000001"), e.Login(t, "13400000011")
		e.SetRole(t, "13400000011", user.RoleRUNNER)
		e.Grant(t, requester, "SHARE_COURIER")
		var made struct{ PostErrand struct{ ID string } }
		r := e.Upload(t, requester, `mutation($in: ErrandInput!) { postErrand(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"area": "东区", "pickupPlace": "菜鸟驿站东区店", "credential": "6-2-3021", "parcelType": "SMALL", "weightGrams": 800,
			"rewardFen": 300, "recipientName": "陈小红", "phone": "13400000001", "address": "紫荆公寓 12 号楼 301", "photo": nil,
		}}, map[string][]byte{"variables.in.photo": testdb.Photo()})
		if len(r.Errors) > 0 {
			t.Fatalf("postErrand: %+v", r.Errors)
		}
		r.Decode(t, &made)
		for _, m := range []string{"takeErrand", "pickUpErrand", "deliverErrand"} {
			e.Must(t, runner, `mutation($id: ID!) { `+m+`(id: $id) { status } }`, map[string]any{"id": made.PostErrand.ID}, nil)
		}
		er := db.Client.Errand.Query().OnlyX(ctx)
		if er.Status != errand.StatusDELIVERED || er.PhotoKey == nil {
			t.Fatalf("errand %s, photo %v", er.Status, er.PhotoKey)
		}
		key := *er.PhotoKey
		if _, _, err := e.Services.Media.Get(ctx, key); err != nil {
			t.Fatalf("the parcel photo is not stored: %v", err)
		}

		wait := f.keep(errand.Table, errand.FieldPhotoKey)
		f.runAt(wait.For.After(f.t0).Add(-day))
		if er := db.Client.Errand.GetX(ctx, er.ID); er.Status != errand.StatusDELIVERED || er.PhotoKey == nil {
			t.Fatalf("a day early: %s, photo %v", er.Status, er.PhotoKey)
		}
		ended := wait.For.After(f.t0).Add(day)
		rep := f.runAt(ended)
		if rep.Rows("delivered errands", errand.Table) != 1 || rep.Rows("delivered errands", "media") != 1 {
			t.Fatalf("report %+v", rep.Counts)
		}
		er = db.Client.Errand.GetX(ctx, er.ID)
		if er.Status != errand.StatusCOMPLETED || er.PhotoKey != nil || held(er.CredentialCipher) || !er.UpdatedAt.Equal(ended) {
			t.Fatalf("after the wait: %s, photo %v, code kept %v, updated %s", er.Status, er.PhotoKey, held(er.CredentialCipher), er.UpdatedAt)
		}
		if _, _, err := e.Services.Media.Get(ctx, key); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("the picture file is still served: %v", err)
		}

		keep := f.keep(errand.Table, "")
		f.runAt(keep.For.After(ended).Add(-day))
		if !db.Client.Errand.Query().Where(errand.ID(er.ID)).ExistX(ctx) {
			t.Fatal("the errand was deleted before 3 years")
		}
		if rep := f.runAt(keep.For.After(ended).Add(day)); rep.Rows("errands", errand.Table) != 1 {
			t.Fatalf("report %+v", rep.Counts)
		}
		if db.Client.Errand.Query().ExistX(ctx) {
			t.Fatal("the errand is kept past 3 years")
		}
	})
}

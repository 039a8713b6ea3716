package retention_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// An export's archive is erased once its link has expired (and an export
// left holding one after its download loses it at once); a ready export
// still within its period keeps it.
func TestExpiredExportArchivesAreErased(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.ctx()
		keep := f.keep(dataexport.Table, dataexport.FieldArchiveCipher)
		ready := f.export(dataexport.StatusREADY, f.t0, keep.For.After(f.t0))
		downloaded := f.export(dataexport.StatusDOWNLOADED, f.t0, keep.For.After(f.t0))

		rep := f.runAt(keep.For.After(f.t0).Add(-time.Hour))
		if r := db.Client.DataExport.GetX(ctx, ready.ID); r.Status != dataexport.StatusREADY || !held(r.ArchiveCipher) {
			t.Fatalf("within its period: %s, archive kept %v", r.Status, held(r.ArchiveCipher))
		}
		if d := db.Client.DataExport.GetX(ctx, downloaded.ID); held(d.ArchiveCipher) || rep.Rows("exports", dataexport.Table) != 1 {
			t.Fatalf("downloaded export keeps its archive (%+v)", rep.Counts)
		}
		rep = f.runAt(keep.For.After(f.t0).Add(time.Hour))
		r := db.Client.DataExport.GetX(ctx, ready.ID)
		if r.Status != dataexport.StatusEXPIRED || held(r.ArchiveCipher) || held(r.TokenHash) || rep.Rows("exports", dataexport.Table) != 1 {
			t.Fatalf("expired: %s, archive kept %v, link kept %v (%+v)", r.Status, held(r.ArchiveCipher), held(r.TokenHash), rep.Counts)
		}
	})
}

// A bank application the bank has answered (refused here) keeps no ID
// number, ID photos or face data; one awaiting its answer keeps them for
// a resend.
func TestAnsweredBankApplicationsLoseTheirDocuments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.ctx()
		refused := f.application(bankaccount.StatusREJECTED)
		pending := f.application(bankaccount.StatusPENDING)
		rep := f.runAt(f.t0)
		if rep.Rows("bank documents", bankaccount.Table) != 1 {
			t.Fatalf("report %+v", rep.Counts)
		}
		r := db.Client.BankAccount.GetX(ctx, refused.ID)
		if held(r.IDNumberCipher) || held(r.IDPhotoCipher) || held(r.IDPhotoBackCipher) || held(r.FaceCipher) {
			t.Fatal("a refused application keeps its documents")
		}
		p := db.Client.BankAccount.GetX(ctx, pending.ID)
		if !held(p.IDNumberCipher) || !held(p.IDPhotoCipher) || !held(p.IDPhotoBackCipher) || !held(p.FaceCipher) {
			t.Fatal("an application awaiting the bank lost its documents")
		}
	})
}

func (f *fixture) export(status dataexport.Status, ready, expires time.Time) *ent.DataExport {
	return f.db.Client.DataExport.Create().SetUserID(f.user().ID).SetStatus(status).SetCreatedAt(ready).
		SetReadyAt(ready).SetExpiresAt(expires).SetTokenHash([]byte(fmt.Sprint("token-", f.users))).
		SetArchiveCipher([]byte("sealed zip")).SaveX(f.ctx())
}

func (f *fixture) application(status bankaccount.Status) *ent.BankAccount {
	u := f.user()
	return f.db.Client.BankAccount.Create().SetUserID(u.ID).SetApplicationID(fmt.Sprint("app-", u.ID)).
		SetNameCipher([]byte("sealed")).SetIDNumberCipher([]byte("sealed")).SetIDPhotoCipher([]byte("sealed")).
		SetIDPhotoBackCipher([]byte("sealed")).SetFaceCipher([]byte("sealed")).SetBoundCardCipher([]byte("sealed")).
		SetBank("sandbox").SetStatus(status).SaveX(f.ctx())
}

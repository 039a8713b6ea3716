package media_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/domain/wow"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/system"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// A picture shared by an errand and a post nobody else may see is kept
// until the last of them lets it go; then it is deleted.
func TestReleaseKeepsWhatIsStillUsed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		wow.Install(db.Client) // post visibility applies, as in the server
		st, err := media.NewDirStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
		img, err := media.Clean(buf.Bytes(), media.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		key, err := st.Put(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		u := db.Client.User.Create().SetPhoneHash([]byte("h")).SetPhoneCipher([]byte("c")).SetNickname("小红").
			SetBirthDate(time.Date(2003, 5, 1, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
		p := db.Client.Post.Create().SetAuthorID(u.ID).SetText("只给自己看").SetVisibility(post.VisibilityONLY_ME).SaveX(ctx)
		db.Client.PostImage.Create().SetPostID(p.ID).SetMediaKey(key).SetPosition(0).SetWidth(8).SetHeight(8).ExecX(ctx)
		e := db.Client.Errand.Create().SetRequesterID(u.ID).SetArea("东区").SetPickupPlace("驿站").
			SetParcelType(errand.ParcelTypeSMALL).SetWeightGrams(500).SetRewardFen(200).SetPhotoKey(key).
			SetRecipientNameCipher([]byte("n")).SetRecipientPhoneCipher([]byte("p")).SetAddressCipher([]byte("a")).SaveX(ctx)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))

		media.Release(ctx, db.Client, st, log, key)
		exists(t, st, key, true)
		// Only the post uses it now: one the caller cannot see still counts.
		db.Client.Errand.UpdateOne(e).ClearPhotoKey().ExecX(ctx)
		media.Release(ctx, db.Client, st, log, key)
		exists(t, st, key, true)
		// Only the errand uses it now.
		db.Client.Errand.UpdateOne(e).SetPhotoKey(key).ExecX(ctx)
		db.Client.Post.DeleteOne(p).ExecX(system.Context(ctx))
		media.Release(ctx, db.Client, st, log, key, key)
		exists(t, st, key, true)
		// Nothing uses it.
		db.Client.Errand.UpdateOne(e).ClearPhotoKey().ExecX(ctx)
		media.Release(ctx, db.Client, st, log, key)
		exists(t, st, key, false)
		media.Release(ctx, db.Client, st, log, key) // already gone: nothing to do
	})
}

func exists(t *testing.T, st media.Store, key string, want bool) {
	t.Helper()
	_, _, err := st.Get(t.Context(), key)
	if got := err == nil; got != want || (err != nil && !errors.Is(err, media.ErrNotFound)) {
		t.Fatalf("stored = %v (%v), want %v", got, err, want)
	}
}

// A post that could not be made (here: its author is gone) leaves none of
// its pictures behind; the same picture another post uses stays.
func TestFailedPostReleasesItsPictures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		wow.Install(db.Client)
		dir := t.TempDir()
		st, err := media.NewDirStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		picture := func(shade uint8) []byte {
			m := image.NewGray(image.Rect(0, 0, 8, 8))
			for i := range m.Pix {
				m.Pix[i] = shade
			}
			var buf bytes.Buffer
			_ = png.Encode(&buf, m)
			return buf.Bytes()
		}
		shared, _ := media.Clean(picture(10), media.DefaultLimits)
		sharedKey, err := st.Put(ctx, shared)
		if err != nil {
			t.Fatal(err)
		}
		u := db.Client.User.Create().SetPhoneHash([]byte("h")).SetPhoneCipher([]byte("c")).SetNickname("小明").
			SetBirthDate(time.Date(2003, 5, 1, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
		p := db.Client.Post.Create().SetAuthorID(u.ID).SetText("旧的").SaveX(ctx)
		db.Client.PostImage.Create().SetPostID(p.ID).SetMediaKey(sharedKey).SetPosition(0).SetWidth(8).SetHeight(8).ExecX(ctx)

		ring, err := vault.ParseKeyring("t1:" + vault.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		access, err := media.NewAccess(db.Client, bytes.Repeat([]byte{1}, 32), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		svc := wow.New(wow.Deps{DB: db, Media: st, Bus: pubsub.NewLocal(pubsub.Options{}),
			Privacy: privacy.New(db.Client, time.Now, log), Ring: ring, Pictures: access, Now: time.Now, Log: log})
		gone := &auth.Viewer{UserID: u.ID + 1000}
		if _, err := svc.Create(ctx, gone, wow.Input{Text: "新的", Visibility: post.VisibilityPUBLIC,
			Images: [][]byte{picture(200), picture(10)}}); err == nil {
			t.Fatal("a post by a missing author was made")
		}
		exists(t, st, sharedKey, true)
		if n := files(t, dir); n != 1 { // each upload has a key of its own: Create stored two, then let them go
			t.Fatalf("%d pictures stored, want the shared one", n)
		}
	})
}

// files counts the pictures stored under dir.
func files(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

package privacy_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

type post struct{ author int }

func (p post) OwnerID() int { return p.author }

// @consent(of: OWNER) shows a field only when its owner consented, and hides
// it silently otherwise (the viewer cannot grant someone else's consent).
func TestConsentOfOwner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		p := privacy.New(db.Client, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := p.Bootstrap(ctx); err != nil {
			t.Fatal(err)
		}
		owner := db.Client.User.Create().SetPhoneHash([]byte("h1")).SetPhoneCipher([]byte("c")).
			SetNickname("作者").SetBirthDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
		viewer := &auth.Viewer{UserID: owner.ID + 1, Consented: []string{string(pii.Location)}}
		ctx = auth.NewContext(privacy.WithRequestCache(ctx), viewer)
		of := privacy.SubjectOwner
		called := 0
		next := func(context.Context) (any, error) { called++; return "北京市海淀区", nil }

		res, err := p.Consent(ctx, post{owner.ID}, next, pii.Location, &of)
		if err != nil || res != nil || called != 0 {
			t.Fatalf("owner without consent: %v %v, resolver ran %d times", res, err, called)
		}
		// The owner consents; a new request sees it.
		ov := &auth.Viewer{UserID: owner.ID}
		if _, err := p.Decide(ctx, ov, pii.Location, true, "SETTINGS"); err != nil {
			t.Fatal(err)
		}
		ctx2 := auth.NewContext(privacy.WithRequestCache(t.Context()), viewer)
		res, err = p.Consent(ctx2, post{owner.ID}, next, pii.Location, &of)
		if err != nil || res != "北京市海淀区" || called != 1 {
			t.Fatalf("owner with consent: %v %v", res, err)
		}
		// A parent without an owner is a schema mistake, reported as such.
		if _, err := p.Consent(ctx2, struct{}{}, next, pii.Location, &of); err == nil {
			t.Fatal("no error for an ownerless parent")
		}
		// Viewer mode: refused with the purpose named, resolver not run.
		stranger := auth.NewContext(privacy.WithRequestCache(t.Context()), &auth.Viewer{UserID: owner.ID + 2, Consented: []string{}})
		_, err = p.Consent(stranger, nil, next, pii.Marketing, nil)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.CodeConsentRequired || e.Extensions["purpose"] != "MARKETING" || called != 1 {
			t.Fatalf("viewer without consent: %v", err)
		}
		// A purpose resting on a contract needs nothing.
		if res, err := p.Consent(stranger, nil, next, pii.Shopping, nil); err != nil || res == nil {
			t.Fatalf("contract purpose: %v %v", res, err)
		}
	})
}

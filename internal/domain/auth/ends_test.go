package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// What a session holds open ends at logout, at the periodic check after a
// revocation made elsewhere, and with its owner's context; the session
// outlives none of it and nothing stays registered.
func TestSessionEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bus := pubsub.NewLocal(pubsub.Options{})
		defer bus.Close()
		ends := f.svc.WatchSessions(bus)
		ctx := ctxIP("10.0.0.3")
		hold := func(token string) (*auth.Viewer, context.Context) {
			v, err := f.svc.Authenticate(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			return v, ends.Hold(context.Background(), v)
		}
		ended := func(c context.Context) bool {
			select {
			case <-c.Done():
				return true
			case <-time.After(2 * time.Second):
				return false
			}
		}

		// Logout: both sockets of the session close, another session's not.
		first := f.register(t, ctx, number)
		v, a := hold(first.Token)
		_, b := hold(first.Token)
		f.clock.Add(61 * time.Second)
		_, other := hold(f.login(t, ctx, number).Token)
		if err := f.svc.Logout(ctx, v); err != nil {
			t.Fatal(err)
		}
		if !ended(a) || !ended(b) {
			t.Fatal("a logged-out session's sockets stay open")
		}
		if other.Err() != nil {
			t.Fatal("logout closed another session's socket")
		}

		// Revoked without Logout (another instance's lost notification): the
		// check ends it; a valid session survives the check.
		f.clock.Add(61 * time.Second)
		w, c := hold(f.login(t, ctx, number).Token)
		db.Client.Session.UpdateOneID(w.SessionID).SetRevokedAt(f.clock.Now()).ExecX(t.Context())
		ends.Recheck(t.Context())
		if !ended(c) || other.Err() != nil {
			t.Fatalf("after the check: revoked %v, valid %v", c.Err(), other.Err())
		}

		// Expired by the clock: the check ends it too.
		f.clock.Add(auth.SessionTTL)
		ends.Recheck(t.Context())
		if !ended(other) {
			t.Fatal("an expired session's socket stays open")
		}
		if n := ends.Held(); n != 0 {
			t.Fatalf("%d sessions still held", n)
		}
	})
}

// EndSessions (an account cancelled or revoked) ends every session of the
// account and what each holds open, and no other account's.
func TestEndSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bus := pubsub.NewLocal(pubsub.Options{})
		defer bus.Close()
		ends := f.svc.WatchSessions(bus)
		ctx := ctxIP("10.0.0.4")
		first := f.register(t, ctx, number)
		f.clock.Add(61 * time.Second)
		second := f.login(t, ctx, number)
		stranger := f.register(t, ctx, "13812345679")
		var held []context.Context
		for _, tok := range []string{first.Token, second.Token, stranger.Token} {
			v, err := f.svc.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, ends.Hold(context.Background(), v))
		}
		if err := f.svc.EndSessions(ctx, first.User.ID); err != nil {
			t.Fatal(err)
		}
		for i, c := range held[:2] {
			select {
			case <-c.Done():
			case <-time.After(2 * time.Second):
				t.Fatalf("socket %d of the revoked account stays open", i)
			}
			if _, err := f.svc.Authenticate(ctx, []string{first.Token, second.Token}[i]); err != auth.ErrInvalidSession {
				t.Fatalf("token %d after EndSessions: %v", i, err)
			}
		}
		if held[2].Err() != nil {
			t.Fatal("another account's socket closed")
		}
		if _, err := f.svc.Authenticate(ctx, stranger.Token); err != nil {
			t.Fatalf("another account's token: %v", err)
		}
	})
}

package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// SessionTopic carries the ids of sessions logged out, to every instance.
const SessionTopic = "session.ended"

// recheckEvery bounds how long a socket outlives its session when the
// notification of its end was lost (a bus reconnect, a revocation made
// outside Logout).
const recheckEvery = time.Minute

// SessionEnds ends what a session holds open, websockets above all, when
// the session ends: at its expiry, at a logout or a revocation
// (EndSessions) on any instance, and at the latest at the next recheck.
// A logged-out phone hears nothing more.
type SessionEnds struct {
	svc *Service
	bus pubsub.Bus
	log *slog.Logger

	mu   sync.Mutex
	open map[int]map[*hold]struct{} // by session id
}

type hold struct{ cancel context.CancelFunc }

// WatchSessions starts tracking held sessions; Run must run for logouts on
// other instances to count.
func (s *Service) WatchSessions(bus pubsub.Bus) *SessionEnds {
	s.ends = &SessionEnds{svc: s, bus: bus, log: s.log, open: map[int]map[*hold]struct{}{}}
	return s.ends
}

// Hold returns a context that ends with ctx or with v's session, whichever
// is first.
func (e *SessionEnds) Hold(ctx context.Context, v *Viewer) context.Context {
	var cancel context.CancelFunc
	if v.SessionExpires.IsZero() {
		ctx, cancel = context.WithCancel(ctx)
	} else { // the service's clock says how long is left
		ctx, cancel = context.WithTimeout(ctx, v.SessionExpires.Sub(e.svc.now()))
	}
	h := &hold{cancel: cancel}
	e.mu.Lock()
	if e.open[v.SessionID] == nil {
		e.open[v.SessionID] = map[*hold]struct{}{}
	}
	e.open[v.SessionID][h] = struct{}{}
	e.mu.Unlock()
	context.AfterFunc(ctx, func() {
		e.mu.Lock()
		delete(e.open[v.SessionID], h)
		if len(e.open[v.SessionID]) == 0 {
			delete(e.open, v.SessionID)
		}
		e.mu.Unlock()
	})
	return ctx
}

// Held is the number of sessions holding something open here.
func (e *SessionEnds) Held() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.open)
}

type endedMsg struct {
	Session int `json:"session"`
}

// ended closes what session id holds here at once and tells the other
// instances; a lost message is caught by their next recheck.
func (e *SessionEnds) ended(ctx context.Context, id int) {
	e.end(id)
	b, _ := json.Marshal(endedMsg{id})
	if err := e.bus.Publish(context.WithoutCancel(ctx), SessionTopic, b); err != nil {
		e.log.WarnContext(ctx, "auth: publish session end", "err", err)
	}
}

// EndSessions revokes every live session of a user (an account cancelled,
// its access revoked by an operator) and closes what they hold open, here
// at once and on the other instances through the bus (or, if a message is
// lost, at their next recheck).
func (s *Service) EndSessions(ctx context.Context, userID int) error {
	ids, err := s.client.Session.Query().
		Where(session.UserID(userID), session.RevokedAtIsNil(), session.ExpiresAtGT(s.now())).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := s.client.Session.Update().Where(session.IDIn(ids...), session.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Exec(ctx); err != nil {
		return err
	}
	if s.ends != nil {
		for _, id := range ids {
			s.ends.ended(ctx, id)
		}
	}
	return nil
}

func (e *SessionEnds) end(id int) {
	e.mu.Lock()
	hs := e.open[id]
	delete(e.open, id)
	e.mu.Unlock()
	for h := range hs {
		h.cancel()
	}
}

// Run follows other instances' logouts and rechecks the held sessions
// every minute, until ctx ends.
func (e *SessionEnds) Run(ctx context.Context) {
	t := time.NewTicker(recheckEvery)
	defer t.Stop()
	for ctx.Err() == nil {
		sub, err := e.bus.Subscribe(ctx, SessionTopic)
		if err != nil {
			if ctx.Err() == nil {
				e.log.WarnContext(ctx, "auth: subscribe to session ends", "err", err)
			}
			return
		}
		e.follow(ctx, sub, t.C)
		sub.Close()
		if errors.Is(sub.Err(), pubsub.ErrClosed) {
			return
		}
		e.recheck(ctx) // messages may have been lost
	}
}

func (e *SessionEnds) follow(ctx context.Context, sub *pubsub.Subscription, tick <-chan time.Time) {
	for {
		select {
		case m, ok := <-sub.C():
			if !ok {
				return
			}
			var msg endedMsg
			if json.Unmarshal(m.Payload, &msg) == nil {
				e.end(msg.Session)
			}
		case <-tick:
			e.recheck(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// recheck ends the held sessions that are no longer valid.
func (e *SessionEnds) recheck(ctx context.Context) {
	e.mu.Lock()
	ids := make([]int, 0, len(e.open))
	for id := range e.open {
		ids = append(ids, id)
	}
	e.mu.Unlock()
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		live, err := e.svc.client.Session.Query().
			Where(session.IDIn(batch...), session.RevokedAtIsNil(), session.ExpiresAtGT(e.svc.now())).IDs(ctx)
		if err != nil {
			if ctx.Err() == nil {
				e.log.WarnContext(ctx, "auth: recheck sessions", "err", err)
			}
			return
		}
		valid := make(map[int]bool, len(live))
		for _, id := range live {
			valid[id] = true
		}
		for _, id := range batch {
			if !valid[id] {
				e.end(id)
			}
		}
	}
}

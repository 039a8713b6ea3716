// Package auth logs people in with a phone number and an SMS code (A1),
// keeps minors out (A4), manages session tokens (A5) and the fresh
// verification that lets owners reveal their own masked data (Y2).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/infra/ratelimit"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/sms"
)

// Service is the account domain.
type Service struct {
	client  *ent.Client
	keys    vault.Keys
	sender  sms.Sender
	policy  account.PolicyBook
	limiter *ratelimit.Limiter
	now     func() time.Time
	log     *slog.Logger
	ends    *SessionEnds // nil until WatchSessions
}

// Deps are what the service is built from.
type Deps struct {
	Client *ent.Client
	Keys   vault.Keys
	SMS    sms.Sender
	Policy account.PolicyBook
	Now    func() time.Time // time.Now outside tests
	Log    *slog.Logger
}

// New wires the service.
func New(d Deps) *Service {
	return &Service{client: d.Client, keys: d.Keys, sender: d.SMS, policy: d.Policy,
		limiter: ratelimit.New(d.Client, d.Now), now: d.Now, log: d.Log}
}

// RequestLoginCode sends a fresh 6-digit code to a mainland mobile number.
func (s *Service) RequestLoginCode(ctx context.Context, rawPhone string) (*Ticket, error) {
	p, err := phone.Normalize(rawPhone)
	if err != nil {
		return nil, apperr.BadField("phone", "%s", err.Error())
	}
	return s.sendCode(ctx, p, logincode.PurposeLOGIN)
}

// LoginInput is what the app sends with a code.
type LoginInput struct {
	Phone             string
	Code              string
	account.Applicant // required to register
}

// LoginResult is a new session.
type LoginResult struct {
	Token      string
	ExpiresAt  time.Time
	User       *ent.User
	Registered bool
}

// Login checks a code and opens a session, registering the number on first
// use. A wrong code costs one of MaxCodeTries; nothing else does.
func (s *Service) Login(ctx context.Context, in LoginInput) (*LoginResult, error) {
	p, err := phone.Normalize(in.Phone)
	if err != nil {
		return nil, apperr.BadField("phone", "%s", err.Error())
	}
	if err := s.limiter.Allow(ctx, ruleLoginPerIP, s.ipHash(ctx)); err != nil {
		return nil, err
	}
	now := s.now()
	ph := s.keys.Index.Hash("phone", p)
	lc, err := s.checkCode(ctx, ph, logincode.PurposeLOGIN, in.Code)
	if err != nil {
		return nil, err
	}
	existing, err := s.client.User.Query().Where(user.PhoneHash(ph)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	var reg *account.Registration
	if existing == nil {
		if reg, err = account.Check(ctx, s.policy, in.Applicant, now); err != nil {
			return nil, err // the code stays valid: the app asks and retries
		}
	}
	res := &LoginResult{Registered: existing == nil}
	stopped := false // logging in during the cooling-off period stops a cancellation (R3)
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := consumeCode(ctx, tx, lc, now); err != nil {
			return err
		}
		u := existing
		if u == nil {
			if u, err = account.Register(ctx, tx, s.keys, p, reg, now); err != nil {
				return err
			}
		} else if stopped, err = account.StopCancellation(ctx, tx, u); err != nil {
			return err
		}
		res.User = u
		res.Token, res.ExpiresAt, err = s.openSession(ctx, tx, u.ID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "login", "user_id", res.User.ID, "registered", res.Registered, "cancellation_stopped", stopped)
	return res, nil
}

const tokenPrefix = "txs_"

func (s *Service) openSession(ctx context.Context, tx *ent.Tx, userID int, now time.Time) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	exp := now.Add(SessionTTL)
	err := tx.Session.Create().SetTokenHash(tokenHash(token)).SetUserID(userID).
		SetCreatedAt(now).SetExpiresAt(exp).Exec(ctx)
	return token, exp, err
}

// ErrInvalidSession means a token is unknown, expired or revoked.
var ErrInvalidSession = errors.New("auth: invalid session")

// Authenticate resolves a bearer token to its viewer in one statement
// (session joined with its user). Only an active account's sessions
// count: a cancellation request ends them all, and a session a racing
// log-in opened after that must not outlive it.
func (s *Service) Authenticate(ctx context.Context, token string) (*Viewer, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return nil, ErrInvalidSession
	}
	return s.authenticate(ctx, tokenHash(token))
}

// Refresh reads v's session again. A websocket lives for hours: each of its
// operations must see the session, role and consents as they are now
// (ErrInvalidSession once it was logged out or expired).
func (s *Service) Refresh(ctx context.Context, v *Viewer) (*Viewer, error) {
	return s.authenticate(ctx, v.tokenHash)
}

func (s *Service) authenticate(ctx context.Context, h []byte) (*Viewer, error) {
	var rows []struct {
		SessionID   int        `sql:"session_id"`
		UserID      int        `sql:"user_id"`
		Role        string     `sql:"role"`
		PolicySeq   int        `sql:"accepted_policy_seq"`
		RevealUntil *time.Time `sql:"reveal_until"`
		ExpiresAt   time.Time  `sql:"expires_at"`
		Consented   []byte     `sql:"consented"`
	}
	err := s.client.Session.Query().
		Where(session.TokenHash(h), session.RevokedAtIsNil(), session.ExpiresAtGT(s.now())).
		Modify(func(sel *entsql.Selector) {
			u := entsql.Table(user.Table)
			sel.Join(u).On(sel.C(session.FieldUserID), u.C(user.FieldID))
			sel.Where(entsql.EQ(u.C(user.FieldStatus), user.StatusACTIVE.String()))
			sel.Select(
				entsql.As(sel.C(session.FieldID), "session_id"),
				sel.C(session.FieldUserID),
				u.C(user.FieldRole),
				u.C(user.FieldAcceptedPolicySeq),
				sel.C(session.FieldRevealUntil),
				sel.C(session.FieldExpiresAt),
				u.C(user.FieldConsented),
			)
		}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, ErrInvalidSession
	}
	r := rows[0]
	consented := []string{}
	if len(r.Consented) > 0 {
		if err := json.Unmarshal(r.Consented, &consented); err != nil {
			return nil, fmt.Errorf("auth: consented: %w", err)
		}
	}
	return &Viewer{
		UserID: r.UserID, Role: user.Role(r.Role), SessionID: r.SessionID,
		AcceptedPolicySeq: r.PolicySeq, RevealUntil: r.RevealUntil, SessionExpires: r.ExpiresAt,
		Consented: consented, tokenHash: h,
	}, nil
}

// Logout revokes the viewer's current session; what it holds open (live
// subscriptions, on any instance) closes.
func (s *Service) Logout(ctx context.Context, v *Viewer) error {
	err := s.client.Session.Update().
		Where(session.TokenHash(v.tokenHash), session.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Exec(ctx)
	if err == nil && s.ends != nil {
		s.ends.ended(ctx, v.SessionID)
	}
	return err
}

// Sweep deletes expired codes, sessions and rate-limit windows.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	if _, err := s.client.LoginCode.Delete().Where(logincode.ExpiresAtLT(now.Add(-time.Hour))).Exec(ctx); err != nil {
		return err
	}
	if _, err := s.client.Session.Delete().Where(session.Or(session.ExpiresAtLTE(now), session.RevokedAtNotNil())).Exec(ctx); err != nil {
		return err
	}
	_, err := s.limiter.Sweep(ctx)
	return err
}

// ipHash keys the per-client limits; an unknown IP shares one bucket.
func (s *Service) ipHash(ctx context.Context) []byte {
	return s.keys.Index.Hash("ip", reqinfo.FromContext(ctx).ClientIP)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// OpenSession opens a session for a user without a code: for trusted
// server-side flows (load tests, an operator's tools), never reachable
// from the graph.
func (s *Service) OpenSession(ctx context.Context, userID int) (string, error) {
	var token string
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		token, _, err = s.openSession(ctx, tx, userID, s.now())
		return err
	})
	return token, err
}

package privacy

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/consent"
	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// Allowed reports whether userID's data may be processed for purpose now:
// always for purposes whose legal basis is not consent, otherwise only with
// a consent in force.
func (s *Service) Allowed(ctx context.Context, userID int, p pii.Purpose) (bool, error) {
	info, ok := pii.Lookup(p)
	if !ok {
		return false, apperr.BadInput("unknown purpose")
	}
	if !info.NeedsConsent() {
		return true, nil
	}
	return s.allowedFor(ctx, userID, p)
}

// errRegistrationChannel keeps the audit trail true: a decision made later
// cannot be recorded as made at registration.
func errRegistrationChannel() error {
	return apperr.BadField("channel", "REGISTRATION is recorded only at registration")
}

// RequireConsent returns CONSENT_REQUIRED (naming the purpose, its tier and
// the policy version, for the app's pop-up) unless userID's data may be
// processed for p now: what @consent checks, for domain code that decides
// on its own input (a post's optional location).
func (s *Service) RequireConsent(ctx context.Context, userID int, p pii.Purpose) error {
	ok, err := s.Allowed(ctx, userID, p)
	if err != nil || ok {
		return err
	}
	info, _ := pii.Lookup(p)
	return s.consentRequired(ctx, info)
}

// allowedFor reads the user's consent to a purpose that needs one: the
// viewer's own came with the session; anyone else's is read once a request.
func (s *Service) allowedFor(ctx context.Context, userID int, p pii.Purpose) (bool, error) {
	if v := auth.FromContext(ctx); v != nil && v.UserID == userID && v.Consented != nil {
		return slices.Contains(v.Consented, string(p)), nil
	}
	granted, err := s.granted(ctx, userID)
	if err != nil {
		return false, err
	}
	return granted[string(p)], nil
}

// granted reads a user's consents once per request. The first ask reads
// those of the owners the request registered (RegisterOwners) too, in the
// same statement: every entry created then waits on that one read.
func (s *Service) granted(ctx context.Context, userID int) (map[string]bool, error) {
	c := cacheFrom(ctx)
	if c == nil {
		m, err := s.consentsOf(ctx, []int{userID})
		return m[userID], err
	}
	c.mu.Lock()
	e := c.consents[userID]
	if e == nil {
		b := &consentBatch{ids: []int{userID}}
		for _, id := range c.owners {
			if _, ok := c.consents[id]; !ok && !slices.Contains(b.ids, id) {
				b.ids = append(b.ids, id)
			}
		}
		for _, id := range b.ids {
			c.consents[id] = &once[map[string]bool]{batch: b}
		}
		e = c.consents[userID]
	}
	c.mu.Unlock()
	e.Do(func() {
		e.batch.Do(func() { e.batch.got, e.batch.err = s.consentsOf(ctx, e.batch.ids) })
		e.val, e.err = e.batch.got[userID], e.batch.err
	})
	return e.val, e.err
}

// consentBatch is one read of several users' consents.
type consentBatch struct {
	sync.Once
	ids []int
	got map[int]map[string]bool
	err error
}

// consentsOf reads the granted purposes of users in one statement.
func (s *Service) consentsOf(ctx context.Context, ids []int) (map[int]map[string]bool, error) {
	rows, err := s.client.Consent.Query().Where(consent.UserIDIn(ids...), consent.Granted(true)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = map[string]bool{}
	}
	for _, r := range rows {
		out[r.UserID][string(r.Purpose)] = true
	}
	return out, nil
}

// RegisterOwners tells the request's cache whose data a page it loaded
// holds: the first @consent(of: OWNER) check then reads all their consents
// in one statement; nothing is read if no field asks.
func RegisterOwners(ctx context.Context, userIDs []int) {
	if c := cacheFrom(ctx); c != nil {
		c.mu.Lock()
		c.owners = append(c.owners, userIDs...)
		c.mu.Unlock()
	}
}

// ConsentState is one purpose as the settings screen shows it.
type ConsentState struct {
	Purpose       pii.Info
	Granted       bool
	DecidedAt     *time.Time
	PolicyVersion *string
	// Effects says what a withdrawal just did (P2, R4), one sentence each:
	// that processing stops, then what the OnWithdraw hooks erased. Empty
	// in every other answer.
	Effects []string
}

// EffectStopped is the first effect of every withdrawal (P2): processing
// stops from the next request; what was done before is not undone.
const EffectStopped = "processing for this purpose has stopped; what was done before the withdrawal is not undone"

// States lists every purpose with the user's decision.
func (s *Service) States(ctx context.Context, userID int) ([]*ConsentState, error) {
	rows, err := s.client.Consent.Query().Where(consent.UserID(userID)).All(ctx)
	if err != nil {
		return nil, err
	}
	by := make(map[pii.Purpose]*ent.Consent, len(rows))
	for _, r := range rows {
		by[r.Purpose] = r
	}
	var out []*ConsentState
	for _, info := range pii.Purposes() {
		st := &ConsentState{Purpose: info, Granted: !info.NeedsConsent(), Effects: []string{}}
		if r := by[info.Purpose]; r != nil {
			st.Granted = r.Granted
			st.DecidedAt = &r.UpdatedAt
			st.PolicyVersion = &r.PolicyVersion
		}
		out = append(out, st)
	}
	return out, nil
}

// Decide grants or withdraws the viewer's consent to purpose. The history
// row and the current state change in one transaction; withdrawal counts
// from the next request, leaves past records as they were, and erases in
// the same transaction what was kept only under that consent (OnWithdraw).
func (s *Service) Decide(ctx context.Context, v *auth.Viewer, p pii.Purpose, grant bool, channel consentevent.Channel) (*ConsentState, error) {
	if channel == consentevent.ChannelREGISTRATION {
		return nil, errRegistrationChannel() // only registration itself records that
	}
	info, ok := pii.Lookup(p)
	if !ok {
		return nil, apperr.BadField("purpose", "unknown purpose")
	}
	if !info.NeedsConsent() {
		return nil, apperr.BadField("purpose",
			"this purpose rests on %s, not on consent: there is nothing to grant or withdraw", info.Basis).
			With("legalBasis", string(info.Basis))
	}
	cur, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	decision := consentevent.DecisionWITHDRAWN
	if grant {
		decision = consentevent.DecisionGRANTED
	}
	now := s.now()
	var consented []string
	effects := []string{}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Lock the user row first: concurrent decisions then update the
		// user's consented list one after the other.
		if err := tx.User.UpdateOneID(v.UserID).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
		if err := tx.ConsentEvent.Create().SetUserID(v.UserID).SetPurpose(p).SetDecision(decision).
			SetPolicyVersion(cur.Version).SetChannel(channel).SetCreatedAt(now).Exec(ctx); err != nil {
			return err
		}
		err := tx.Consent.Create().SetUserID(v.UserID).SetPurpose(p).SetGranted(grant).
			SetPolicyVersion(cur.Version).SetUpdatedAt(now).
			OnConflictColumns(consent.FieldUserID, consent.FieldPurpose).
			UpdateGranted().UpdatePolicyVersion().UpdateUpdatedAt().
			Exec(ctx)
		if err != nil {
			return err
		}
		if !grant {
			effects = append(effects, EffectStopped)
			for _, erase := range s.onWithdraw(p) {
				effect, err := erase(ctx, tx, v.UserID)
				if err != nil {
					return err
				}
				if effect != "" {
					effects = append(effects, effect)
				}
			}
		}
		rows, err := tx.Consent.Query().Where(consent.UserID(v.UserID), consent.Granted(true)).
			Order(ent.Asc(consent.FieldPurpose)).All(ctx)
		if err != nil {
			return err
		}
		consented = make([]string, len(rows))
		for i, r := range rows {
			consented[i] = string(r.Purpose)
		}
		return tx.User.UpdateOneID(v.UserID).SetConsented(consented).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	v.Consented = consented // the rest of this request sees the decision
	s.log.InfoContext(ctx, "consent", "user_id", v.UserID, "purpose", string(p), "decision", string(decision),
		"channel", string(channel), "effects", len(effects))
	return &ConsentState{Purpose: info, Granted: grant, DecidedAt: &now, PolicyVersion: &cur.Version, Effects: effects}, nil
}

// WithdrawHook erases, inside the withdrawal's transaction, the data of
// userID that was kept only under the consent being withdrawn, and says
// what it did in one sentence the user reads in the withdrawal's answer
// (English, like the schema's descriptions; no personal values): "" when
// there was nothing to do.
type WithdrawHook func(ctx context.Context, tx *ent.Tx, userID int) (effect string, err error)

type withdrawHooks struct {
	mu    sync.Mutex
	hooks map[pii.Purpose][]WithdrawHook
}

// OnWithdraw makes a withdrawal of p run h in its transaction: the data
// goes with the consent or the withdrawal fails and nothing changes (a
// post's location is erased when LOCATION is withdrawn, internal/domain/wow).
func (s *Service) OnWithdraw(p pii.Purpose, h WithdrawHook) {
	s.withdrawals.mu.Lock()
	defer s.withdrawals.mu.Unlock()
	if s.withdrawals.hooks == nil {
		s.withdrawals.hooks = map[pii.Purpose][]WithdrawHook{}
	}
	s.withdrawals.hooks[p] = append(s.withdrawals.hooks[p], h)
}

func (s *Service) onWithdraw(p pii.Purpose) []WithdrawHook {
	s.withdrawals.mu.Lock()
	defer s.withdrawals.mu.Unlock()
	return slices.Clone(s.withdrawals.hooks[p])
}

// History lists the viewer's consent decisions, newest first.
func (s *Service) History(ctx context.Context, userID, limit int) ([]*ent.ConsentEvent, error) {
	return s.client.ConsentEvent.Query().Where(consentevent.UserID(userID)).
		Order(ent.Desc(consentevent.FieldCreatedAt), ent.Desc(consentevent.FieldID)).
		Limit(paging.Clamp(limit)).All(ctx)
}

func (s *Service) consentRequired(ctx context.Context, info pii.Info) error {
	e := apperr.New(apperr.CodeConsentRequired, "this needs your consent: %s", info.Title).
		With("purpose", string(info.Purpose)).With("tier", string(info.Tier))
	if version, err := s.currentVersion(ctx); err == nil {
		e = e.With("policyVersion", version)
	}
	return e
}

// currentVersion is the version in force, read once a request (a list of
// refused fields would otherwise read it once each).
func (s *Service) currentVersion(ctx context.Context) (string, error) {
	fetch := func() (string, error) {
		cur, err := s.Current(ctx)
		if err != nil {
			return "", err
		}
		return cur.Version, nil
	}
	c := cacheFrom(ctx)
	if c == nil {
		return fetch()
	}
	c.version.Do(func() { c.version.val, c.version.err = fetch() })
	return c.version.val, c.version.err
}

package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/system"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

// Account cancellation (R3, A5): the owner asks, with a fresh SMS
// verification; every session ends at once; after a cooling-off period in
// which logging in stops it, every personal value of the account is deleted
// or anonymised in one transaction, and what the law makes us keep is kept
// de-identified (cancel_plan.go says what happens to each table).

// CoolingOffDays is how long a requested cancellation waits before it is
// carried out. Logging in during it stops the cancellation; the terms shown
// before the request say so.
const CoolingOffDays = 15

// Sessions ends every session of a user on every instance, closing what
// they hold open (auth.Service).
type Sessions interface {
	EndSessions(ctx context.Context, userID int) error
}

// BankCloser tells the partner bank to close an account (bank.Bank).
type BankCloser interface {
	Close(ctx context.Context, bankRef string) (*bank.Account, error)
}

// Verified is a viewer who may have verified with a fresh SMS code
// (auth.Viewer: requestRevealCode, verifyReveal).
type Verified interface {
	CanReveal(now time.Time) bool
}

// CancellationDeps are what Cancellations are built from.
type CancellationDeps struct {
	DB       *store.DB
	Keys     vault.Keys // Index keys the orders' buyer pseudonym
	Sessions Sessions
	Bank     BankCloser
	Media    media.Store // the pictures of deleted posts and errands
	Now      func() time.Time
	Log      *slog.Logger
}

// Cancellations cancels accounts.
type Cancellations struct{ d CancellationDeps }

// NewCancellations wires the service.
func NewCancellations(d CancellationDeps) *Cancellations { return &Cancellations{d: d} }

// Cancellation is a requested cancellation.
type Cancellation struct {
	CancelAfter time.Time // carried out then, unless the owner logs in before
	Terms       Terms
}

// Request asks to cancel userID's account. It needs a fresh SMS
// verification (VERIFICATION_REQUIRED) and nothing under way
// (CANCELLATION_BLOCKED); it starts the cooling-off period and ends every
// session of the account, on every instance. Asking again while the
// cancellation waits changes nothing and ends the sessions again.
func (c *Cancellations) Request(ctx context.Context, userID int, v Verified) (*Cancellation, error) {
	now := c.d.Now()
	if v == nil || !v.CanReveal(now) {
		return nil, apperr.New(apperr.CodeVerificationRequired,
			"verify with an SMS code (requestRevealCode, verifyReveal) to cancel your account")
	}
	if err := blocked(ctx, c.d.DB.Client, userID); err != nil {
		return nil, err
	}
	after := now.AddDate(0, 0, CoolingOffDays)
	n, err := c.d.DB.Client.User.Update().Where(user.ID(userID), user.StatusEQ(user.StatusACTIVE)).
		SetStatus(user.StatusCANCELLING).SetCancelAfter(after).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 { // asked already: the period runs from the first request
		u, err := c.d.DB.Client.User.Get(ctx, userID)
		if err != nil {
			return nil, err
		}
		if u.Status != user.StatusCANCELLING || u.CancelAfter == nil { // a cancelled account has no session
			return nil, fmt.Errorf("account: cancellation requested for an account %s", u.Status)
		}
		after = *u.CancelAfter
	}
	if err := c.d.Sessions.EndSessions(ctx, userID); err != nil {
		return nil, err
	}
	c.d.Log.InfoContext(ctx, "account cancellation requested", "user_id", userID, "cancel_after", after)
	return &Cancellation{CancelAfter: after, Terms: TermsOf()}, nil
}

// StopCancellation stops u's cancellation in tx, if u as read has one: u
// logs in (internal/domain/auth's Login), and logging in during the
// cooling-off period stops it. An active account costs no statement: a
// request racing the log-in (committed after u was read) leaves the new
// session unusable, as a cancelling account's sessions are
// (auth.Service.Authenticate). An account the cancellation has just been
// carried out on is gone: the number registers anew
// (REGISTRATION_REQUIRED; the code was not used).
func StopCancellation(ctx context.Context, tx *ent.Tx, u *ent.User) (stopped bool, err error) {
	if u.Status == user.StatusACTIVE {
		return false, nil
	}
	n, err := tx.User.Update().Where(user.ID(u.ID), user.StatusEQ(user.StatusCANCELLING)).
		SetStatus(user.StatusACTIVE).ClearCancelAfter().Save(ctx)
	if err != nil || n == 1 {
		return n == 1, err
	}
	status, err := tx.User.Query().Where(user.ID(u.ID)).Select(user.FieldStatus).String(ctx)
	if err != nil || user.Status(status) != user.StatusCANCELLED {
		return false, err // stopped by a concurrent log-in
	}
	return false, apperr.New(apperr.CodeRegistrationRequired,
		"this account has just been cancelled: give your birth date to register the number anew").With("field", "birthDate")
}

// ErrNotDue: the account has no cancellation whose cooling-off period has
// ended (its owner logged in, or another instance carried it out).
var ErrNotDue = errors.New("account: no cancellation due")

// CancelDue carries out up to limit cancellations whose cooling-off period
// has ended, and retries telling the bank of cancelled accounts it did not
// hear about yet. Safe on several instances: each account is claimed by a
// conditional update inside its cancellation's transaction, so one
// instance carries it out and the others skip it. A cancellation blocked
// by something under way (a runner assigned as courier meanwhile) waits
// a day. It returns how many accounts it cancelled.
func (c *Cancellations) CancelDue(ctx context.Context, limit int) (int, error) {
	ctx = system.Context(ctx)
	bankErr := c.closeBankAccounts(ctx, 0, limit)
	now := c.d.Now()
	ids, err := c.d.DB.Client.User.Query().
		Where(user.StatusEQ(user.StatusCANCELLING), user.CancelAfterLTE(now)).
		Order(ent.Asc(user.FieldCancelAfter), ent.Asc(user.FieldID)).Limit(max(limit, 1)).IDs(ctx)
	if err != nil {
		return 0, errors.Join(bankErr, err)
	}
	done := 0
	var errs []error
	for _, id := range ids {
		switch err := c.Cancel(ctx, id); {
		case err == nil:
			done++
		case errors.Is(err, ErrNotDue):
		case apperr.CodeOf(err) == apperr.CodeCancellationBlocked:
			c.d.Log.WarnContext(ctx, "account cancellation waits: something is under way", "user_id", id)
			errs = append(errs, c.d.DB.Client.User.Update().
				Where(user.ID(id), user.StatusEQ(user.StatusCANCELLING)).
				SetCancelAfter(now.AddDate(0, 0, 1)).Exec(ctx))
		default:
			c.d.Log.ErrorContext(ctx, "account cancellation", "user_id", id, "err", err)
			errs = append(errs, err)
		}
	}
	return done, errors.Join(append(errs, bankErr)...)
}

// Cancel carries out userID's cancellation if its cooling-off period has
// ended (ErrNotDue otherwise), in one transaction: the claim, then each
// table's rows as cancel_plan.go says. After it commits, the pictures
// nothing uses any more are deleted and the partner bank is told; an
// account the bank did not hear about is told again by the next CancelDue.
func (c *Cancellations) Cancel(ctx context.Context, userID int) error {
	// The server's own work: row rules (post visibility) must not hide
	// any of the user's rows from it.
	ctx = system.Context(ctx)
	now := c.d.Now()
	e := &eraser{keys: c.d.Keys, now: now, kept: map[string]int{}}
	err := store.WithTx(ctx, c.d.DB.Client, func(tx *ent.Tx) error {
		n, err := tx.User.Update().
			Where(user.ID(userID), user.StatusEQ(user.StatusCANCELLING), user.CancelAfterLTE(now)).
			SetStatus(user.StatusCANCELLED).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotDue
		}
		if err := blocked(ctx, tx.Client(), userID); err != nil {
			return err
		}
		if e.user, err = tx.User.Get(ctx, userID); err != nil {
			return err
		}
		e.tx = tx
		for _, s := range plan {
			if s.run == nil {
				continue
			}
			if err := s.run(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	media.Release(ctx, c.d.DB.Client, c.d.Media, c.d.Log, e.pictures...)
	c.d.Log.InfoContext(ctx, "account cancelled", "user_id", userID,
		"orders_kept", e.kept["orders"], "errands_kept", e.kept["errands"], "pictures", len(e.pictures))
	if err := c.closeBankAccounts(ctx, userID, 1); err != nil {
		c.d.Log.WarnContext(ctx, "account cancelled: the bank will be told later", "user_id", userID, "err", err)
	}
	return nil
}

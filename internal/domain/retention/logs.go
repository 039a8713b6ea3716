package retention

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Logs and proof: rows deleted whole once their declared period is over.

// revealAudit deletes reveals of masked data older than the declared
// period (a security log: the Cybersecurity Law's 6 months).
func revealAudit(now time.Time, keep pii.Keep) rule {
	due := []predicate.SensitiveAccess{sensitiveaccess.CreatedAtLT(keep.For.Cutoff(now))}
	return deleteRule("reveal audit", sensitiveaccess.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.SensitiveAccess.Query().Where(append(due, sensitiveaccess.IDGT(after))...).
				Order(ent.Asc(sensitiveaccess.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.SensitiveAccess.Delete().Where(append(due, sensitiveaccess.IDIn(ids...))...).Exec(ctx)
		})
}

// sharingLedger deletes hand-over records older than the declared period.
func sharingLedger(now time.Time, keep pii.Keep) rule {
	due := []predicate.SharingRecord{sharingrecord.CreatedAtLT(keep.For.Cutoff(now))}
	return deleteRule("sharing ledger", sharingrecord.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.SharingRecord.Query().Where(append(due, sharingrecord.IDGT(after))...).
				Order(ent.Asc(sharingrecord.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.SharingRecord.Delete().Where(append(due, sharingrecord.IDIn(ids...))...).Exec(ctx)
		})
}

// cancelledBefore is the accounts cancelled the declared period ago.
func cancelledBefore(now time.Time, keep pii.Keep) predicate.User {
	return user.And(user.StatusEQ(user.StatusCANCELLED), user.CancelledAtLT(keep.For.Cutoff(now)))
}

// consentHistory deletes the consent decisions of accounts cancelled the
// declared period ago (kept as proof while the account exists).
func consentHistory(now time.Time, keep pii.Keep) rule {
	due := []predicate.ConsentEvent{consentevent.HasUserWith(cancelledBefore(now, keep))}
	return deleteRule("consent history", consentevent.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.ConsentEvent.Query().Where(append(due, consentevent.IDGT(after))...).
				Order(ent.Asc(consentevent.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.ConsentEvent.Delete().Where(append(due, consentevent.IDIn(ids...))...).Exec(ctx)
		})
}

// policyAcceptances deletes the policy acceptances of accounts cancelled
// the declared period ago.
func policyAcceptances(now time.Time, keep pii.Keep) rule {
	due := []predicate.PolicyAcceptance{policyacceptance.HasUserWith(cancelledBefore(now, keep))}
	return deleteRule("policy acceptances", policyacceptance.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.PolicyAcceptance.Query().Where(append(due, policyacceptance.IDGT(after))...).
				Order(ent.Asc(policyacceptance.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.PolicyAcceptance.Delete().Where(append(due, policyacceptance.IDIn(ids...))...).Exec(ctx)
		})
}

// oldFeedback deletes feedback, and the contact given to answer it, after
// the declared period.
func oldFeedback(now time.Time, keep pii.Keep) rule {
	due := []predicate.Feedback{feedback.CreatedAtLT(keep.For.Cutoff(now))}
	return deleteRule("feedback", feedback.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.Feedback.Query().Where(append(due, feedback.IDGT(after))...).
				Order(ent.Asc(feedback.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.Feedback.Delete().Where(append(due, feedback.IDIn(ids...))...).Exec(ctx)
		})
}

// answeredRequests deletes privacy requests the declared period after
// they were answered or refused.
func answeredRequests(now time.Time, keep pii.Keep) rule {
	due := []predicate.PrivacyRequest{
		privacyrequest.StatusIn(privacyrequest.StatusANSWERED, privacyrequest.StatusREFUSED),
		privacyrequest.AnsweredAtLT(keep.For.Cutoff(now)),
	}
	return deleteRule("privacy requests", privacyrequest.Table,
		func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.PrivacyRequest.Query().Where(append(due, privacyrequest.IDGT(after))...).
				Order(ent.Asc(privacyrequest.FieldID)).Limit(limit).IDs(ctx)
		},
		func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
			return tx.PrivacyRequest.Delete().Where(append(due, privacyrequest.IDIn(ids...))...).Exec(ctx)
		})
}

// deleteRule deletes the due rows of one table.
func deleteRule(name, table string, due func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error),
	del func(ctx context.Context, tx *ent.Tx, ids []int) (int, error)) rule {
	return rule{
		name:  name,
		shape: []Count{count(table, deleted, 0)},
		due:   due,
		plan: func(_ context.Context, _ *ent.Client, ids []int) ([]Count, error) {
			return []Count{count(table, deleted, len(ids))}, nil
		},
		apply: func(ctx context.Context, tx *ent.Tx, ids []int) ([]Count, func(), error) {
			n, err := del(ctx, tx, ids)
			return []Count{count(table, deleted, n)}, nil, err
		},
	}
}

package account

import (
	"context"
	"errors"

	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// closeBankAccounts tells the partner bank to close the accounts of
// cancelled users (of userID, or of anyone when it is 0; at most limit)
// and deletes each one the bank has closed or never had. The cancellation
// left only the bank's reference on them (see eraseBankAccount): the call
// comes after the cancellation commits, so a bank that does not answer
// never holds up the deletion of our own copy, and the row is what the
// next CancelDue retries from. Only the bank's reference is sent: no new
// personal data reaches the bank, so the sharing ledger gets no entry.
func (c *Cancellations) closeBankAccounts(ctx context.Context, userID, limit int) error {
	q := c.d.DB.Client.BankAccount.Query().Where(bankaccount.HasUserWith(user.StatusEQ(user.StatusCANCELLED)))
	if userID != 0 {
		q.Where(bankaccount.UserID(userID))
	}
	rows, err := q.Order(bankaccount.ByID()).Limit(max(limit, 1)).All(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range rows {
		acct, err := c.d.Bank.Close(ctx, a.BankRef)
		switch {
		case partner.HasCode(err, bank.CodeAccountNotFound): // nothing at the bank to close
		case err != nil:
			errs = append(errs, err)
			continue
		case acct.Status != bank.StatusClosed && acct.Status != bank.StatusRejected:
			continue // the bank is still closing it: asked again next time
		}
		if err := c.d.DB.Client.BankAccount.DeleteOneID(a.ID).Exec(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		c.d.Log.InfoContext(ctx, "bank account closed after cancellation", "user_id", a.UserID)
	}
	return errors.Join(errs...)
}

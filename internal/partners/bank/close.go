package bank

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Closing an account (R3): when a student cancels their platform account,
// the platform tells the bank, which closes the Class II account opened
// through it (returning any balance to the bound card, as its own rules
// say) or drops an application still under review. Only the bank's own
// reference is sent: no personal data leaves the platform.
//
//	DELETE {BaseURL}/v2/class2-accounts/{bank_ref}
//	  → 200 {"bank_ref","account_number","status","reason"}: the account as
//	    it now is, CLOSED once closed (PENDING while the bank still
//	    returns a balance: ask again later); a rejected application stays
//	    REJECTED. Closing again answers the same.
//	  → 404 {"error":{"code":"ACCOUNT_NOT_FOUND"}}: the bank holds no such account.
//
// DELETE is idempotent, so a retry after a lost answer is safe without an
// Idempotency-Key.

// Close asks the bank to close the account bankRef. A malformed ref is
// ErrInvalidArgument and is not sent; an answer about another account is
// ErrBadResponse.
func (c *HTTPClient) Close(ctx context.Context, bankRef string) (*Account, error) {
	const op = "close account"
	if err := ctx.Err(); err != nil {
		return nil, c.c.Fail(op, err)
	}
	if err := checkRef(bankRef); err != nil {
		return nil, c.c.Fail(op, err)
	}
	data, err := c.c.Do(ctx, partner.Call{Op: op, Method: http.MethodDelete, Target: PathAccounts + "/" + url.PathEscape(bankRef)})
	if err != nil {
		return nil, err
	}
	acct, err := decodeAccount(data)
	if err == nil && acct.BankRef != bankRef {
		err = bad(`"bank_ref" is not the account asked to close`)
	}
	if err != nil {
		return nil, c.c.Fail(op, err)
	}
	return acct, nil
}

// Close closes the sandbox account bankRef at once (its balance is
// dropped); a rejected application stays rejected. An unknown ref answers
// 404 ACCOUNT_NOT_FOUND, as the bank does.
func (s *Sandbox) Close(ctx context.Context, bankRef string) (*Account, error) {
	const op = "close account"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, err)
	}
	if err := checkRef(bankRef); err != nil {
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	sa := s.byRef[bankRef]
	if sa == nil {
		return nil, fmt.Errorf("bank sandbox: %s: %w", op, refusal(404, CodeAccountNotFound, "no such account"))
	}
	if sa.acct.Status != StatusRejected {
		sa.acct.Status, sa.acct.Reason, sa.balance = StatusClosed, "", 0
	}
	acct := sa.acct
	return &acct, nil
}

package account

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// blocked refuses a cancellation while something of the user's is under
// way: an order not yet completed, cancelled or refunded (money or goods
// are on their way; an unpaid one the owner cancels or lets expire), an
// order they deliver as courier, an errand they posted that has not ended
// or one they are running, a shop they run (its orders are other people's
// records: staff hand it over first), or a bank application the bank has
// not answered (without its reference the bank could not be told).
// Cancelling then would leave other people's deliveries and money without
// a party, or erase a delivery address still needed.
func blocked(ctx context.Context, c *ent.Client, userID int) error {
	orders, err := c.Order.Query().Where(order.Or(
		order.And(order.UserID(userID), order.StatusNotIn(order.StatusCOMPLETED, order.StatusCANCELLED, order.StatusREFUNDED)),
		order.And(order.CourierID(userID), order.StatusEQ(order.StatusSHIPPED)),
	)).Count(ctx)
	if err != nil {
		return err
	}
	errands, err := c.Errand.Query().Where(errand.Or(
		errand.And(errand.RequesterID(userID), errand.StatusNotIn(errand.StatusCOMPLETED, errand.StatusCANCELLED)),
		errand.And(errand.RunnerID(userID), errand.StatusIn(errand.StatusTAKEN, errand.StatusPICKED_UP)),
	)).Count(ctx)
	if err != nil {
		return err
	}
	shops, err := c.Merchant.Query().Where(merchant.OwnerID(userID)).Count(ctx)
	if err != nil {
		return err
	}
	applications, err := c.BankAccount.Query().Where(bankaccount.UserID(userID),
		bankaccount.StatusEQ(bankaccount.StatusPENDING), bankaccount.Or(bankaccount.BankRefIsNil(), bankaccount.BankRef(""))).Count(ctx)
	if err != nil {
		return err
	}
	if orders+errands+shops+applications == 0 {
		return nil
	}
	return apperr.New(apperr.CodeCancellationBlocked,
		"finish or cancel what is under way (orders, errands, a shop, a bank application awaiting an answer), then ask again").
		With("orders", orders).With("errands", errands).With("shops", shops).With("bankApplications", applications)
}

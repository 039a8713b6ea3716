package orders

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderitem"
	"github.com/tongxue/tongxue/ent/paymentcallback"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/payment"
)

// CallbackPath is where a provider posts results: CallbackPath + name.
const CallbackPath = "/payments/callback/"

// Pay opens (or reopens) the payment of the viewer's unpaid order. The
// provider gets the order number, the amount and a goods summary, nothing
// of the buyer; the hand-over is written to the sharing ledger.
func (s *Service) Pay(ctx context.Context, v *auth.Viewer, id int) (*payment.Intent, error) {
	o, roles, err := s.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if !roles.Buyer {
		return nil, apperr.Forbidden("only the buyer pays an order")
	}
	if o.Status != order.StatusAWAITING_PAYMENT {
		return nil, apperr.New(apperr.CodeInvalidTransition, "the order is %s, not awaiting payment", o.Status)
	}
	items, err := s.client.OrderItem.Query().Where(orderitem.OrderID(o.ID)).Order(ent.Asc(orderitem.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	req := payment.Request{
		OrderNo: o.OrderNo, AmountFen: o.TotalFen, Description: summary(items),
		NotifyURL: strings.TrimRight(s.cfg.NotifyBaseURL, "/") + CallbackPath + s.provider.Name(),
	}
	if req.Validate() != nil {
		req.Description = "同学订单" // a product name the provider would refuse
	}
	if err := privacy.RecordSharingBefore(ctx, s.client, privacy.Sharing{
		UserID: o.UserID, Recipient: s.provider.Name(), RecipientContact: "payment provider's customer service",
		Purpose: pii.SharePayment, Method: "HTTPS API (signed)", Categories: "订单号、交易金额、商品描述",
		Reference: o.OrderNo,
	}, s.now()); err != nil {
		return nil, err
	}
	intent, err := s.provider.CreatePayment(ctx, req)
	if partner.HasCode(err, payment.CodeOrderPaid) {
		// Paid already; the provider's callback is on its way and settles it.
		return nil, apperr.New(apperr.CodeAlreadyPaid, "this order has been paid; it shows as paid in a moment")
	}
	if errors.Is(err, payment.ErrInvalidRequest) {
		s.log.ErrorContext(ctx, "payment request refused before sending", "order_id", o.ID, "err", err)
		return nil, err
	}
	if err != nil {
		s.log.WarnContext(ctx, "create payment", "order_id", o.ID, "err", err)
		return nil, apperr.New(apperr.CodePaymentUnavailable, "the payment provider is not answering; try again shortly")
	}
	// A PAID callback may have come first: it keeps its transaction id.
	err = s.client.Order.Update().Where(order.ID(o.ID), order.StatusEQ(order.StatusAWAITING_PAYMENT)).
		SetProviderRef(intent.ProviderRef).Exec(ctx)
	return intent, err
}

// summary names the goods for the provider: product names only.
func summary(items []*ent.OrderItem) string {
	if len(items) == 0 {
		return "同学订单"
	}
	s := items[0].Name
	if len(items) > 1 {
		s += " 等"
	}
	if len(s) > payment.MaxDescriptionBytes {
		s = "同学订单"
	}
	return s
}

// ErrUnknownProvider is a callback for a provider we do not use.
var ErrUnknownProvider = errors.New("orders: unknown payment provider")

// AmountMismatch is the recorded status of a payment callback whose amount
// is not the order's.
const AmountMismatch = "AMOUNT_MISMATCH"

// HandleCallback applies a provider's result notification. It is
// idempotent: a callback delivered again is acknowledged and changes
// nothing; a replayed nonce with another event is refused.
func (s *Service) HandleCallback(ctx context.Context, provider string, h http.Header, body []byte) error {
	if provider != s.provider.Name() {
		return ErrUnknownProvider
	}
	cb, err := s.provider.VerifyCallback(h, body, s.now())
	if err != nil {
		return err
	}
	o, err := s.client.Order.Query().Where(order.OrderNo(cb.OrderNo)).Only(ctx)
	if ent.IsNotFound(err) {
		return payment.ErrMalformed
	}
	if err != nil {
		return err
	}
	seen, err := s.client.PaymentCallback.Query().
		Where(paymentcallback.Provider(provider), paymentcallback.EventID(cb.EventID)).Exist(ctx)
	if err != nil || seen {
		return err // already processed: acknowledge again
	}
	now := s.now()
	// A payment of another amount than the order's is kept on record and
	// acknowledged (the provider would otherwise resend it for a day) but
	// does not pay the order: operations refund it.
	mismatch := cb.Status == payment.StatusPaid && cb.AmountFen != o.TotalFen
	status := string(cb.Status)
	if mismatch {
		status = AmountMismatch
	}
	err = s.write(ctx, func(tx *ent.Tx) ([]*ent.OrderEvent, error) {
		if err := tx.PaymentCallback.Create().SetProvider(provider).SetEventID(cb.EventID).SetNonce(cb.Nonce).
			SetOrderID(o.ID).SetStatus(status).SetReceivedAt(now).Exec(ctx); err != nil {
			return nil, err
		}
		if cb.Status != payment.StatusPaid {
			return nil, nil // the buyer may try again until the window closes
		}
		if mismatch {
			s.log.ErrorContext(ctx, "paid amount differs from the order: refund it", "order_id", o.ID,
				"paid_fen", cb.AmountFen, "total_fen", o.TotalFen)
			return nil, nil
		}
		n, err := tx.Order.Update().Where(order.ID(o.ID), order.StatusEQ(order.StatusAWAITING_PAYMENT)).
			SetStatus(order.StatusPAID).SetPaidFen(cb.AmountFen).SetPaidAt(cb.PaidAt).
			SetProviderRef(cb.ProviderRef).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			// Paid after it was cancelled (or paid twice): money to give back.
			s.log.WarnContext(ctx, "payment for an order not awaiting payment: refund it", "order_id", o.ID)
			return nil, nil
		}
		paid, err := tx.Order.Get(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		ev, err := newEvent(ctx, tx, paid, string(order.StatusAWAITING_PAYMENT), Payment, now)
		return []*ent.OrderEvent{ev}, err
	})
	if ent.IsConstraintError(err) {
		// The same event raced in on another instance (fine), or a nonce was
		// replayed under a new event id (refused).
		if again, _ := s.client.PaymentCallback.Query().
			Where(paymentcallback.Provider(provider), paymentcallback.EventID(cb.EventID)).Exist(ctx); again {
			return nil
		}
		return payment.ErrBadSignature
	}
	return err
}

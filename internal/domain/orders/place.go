package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/cart"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Limits of one order.
const (
	MaxLines    = 20
	MaxQuantity = cart.MaxQuantity // per line, as in the cart
)

// Line is a product and quantity the buyer asks for.
type Line struct {
	ProductID, Quantity int
}

// PlaceInput is a placeOrder request. The client sends no prices: they are
// computed here.
type PlaceInput struct {
	Lines          []Line
	AddressID      int
	IdempotencyKey string
}

// Place creates an order from one merchant's products, taking stock in the
// same transaction. A retry with the same idempotency key returns the same
// order, never a second one.
func (s *Service) Place(ctx context.Context, v *auth.Viewer, addrs *address.Service, in PlaceInput) (*ent.Order, error) {
	key := strings.TrimSpace(in.IdempotencyKey)
	if len(key) < 8 || len(key) > 64 {
		return nil, apperr.BadField("idempotencyKey", "the idempotency key has 8 to 64 characters")
	}
	if o, err := s.byKey(ctx, v.UserID, key); err != nil || o != nil {
		return o, err
	}
	lines, err := mergeLines(in.Lines)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	products, err := s.client.Product.Query().Where(product.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(products) != len(lines) {
		return nil, apperr.NotFound("product")
	}
	byID := make(map[int]*ent.Product, len(products))
	student := false
	for i, p := range products {
		byID[p.ID] = p
		if p.MerchantID != products[0].MerchantID {
			return nil, apperr.BadField("lines", "one order holds the products of one merchant")
		}
		if p.StudentOnly && !student {
			if student, err = s.students.IsVerified(ctx, v.UserID); err != nil {
				return nil, err
			} else if !student {
				return nil, apperr.New(apperr.CodeStudentVerificationRequired,
					"%s is for verified students only", p.Name).With("productIndex", i)
			}
		}
	}
	m, err := s.client.Merchant.Query().Where(merchant.ID(products[0].MerchantID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	addr, err := addrs.Get(ctx, v.UserID, in.AddressID)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, l := range lines {
		total += byID[l.ProductID].PriceFen * int64(l.Quantity)
	}
	now := s.now()
	var placed *ent.Order
	err = s.write(ctx, func(tx *ent.Tx) ([]*ent.OrderEvent, error) {
		// Take stock row by row, in id order (no deadlocks between orders):
		// the conditional update is atomic, so concurrent buyers can never
		// take more than there is.
		for _, l := range lines {
			n, err := tx.Product.Update().
				Where(product.ID(l.ProductID), product.StockGTE(l.Quantity)).
				AddStock(-l.Quantity).Save(ctx)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, apperr.New(apperr.CodeOutOfStock, "%s does not have %d left", byID[l.ProductID].Name, l.Quantity).
					With("productId", l.ProductID)
			}
		}
		name, ph, ad := address.Seal(s.ring, order.Table, addr.Delivery)
		o, err := tx.Order.Create().
			SetOrderNo(newOrderNo(now)).SetUserID(v.UserID).SetMerchantID(m.ID).
			SetIdempotencyKey(key).SetTotalFen(total).SetPaymentProvider(s.provider.Name()).
			SetRecipientNameCipher(name).SetRecipientPhoneCipher(ph).SetAddressCipher(ad).
			SetCreatedAt(now).SetPayBefore(now.Add(s.cfg.PaymentWindow)).
			Save(ctx)
		if err != nil {
			return nil, err
		}
		items := make([]*ent.OrderItemCreate, len(lines))
		for i, l := range lines {
			p := byID[l.ProductID]
			items[i] = tx.OrderItem.Create().SetOrderID(o.ID).SetProductID(p.ID).SetName(p.Name).
				SetUnitPriceFen(p.PriceFen).SetQuantity(l.Quantity)
		}
		if err := tx.OrderItem.CreateBulk(items...).Exec(ctx); err != nil {
			return nil, err
		}
		if err := cart.Clear(ctx, tx, v.UserID, ids); err != nil {
			return nil, err
		}
		// The merchant now sees the order and what delivery needs.
		if err := privacy.RecordSharing(ctx, tx, privacy.Sharing{
			UserID: v.UserID, Recipient: m.Name, RecipientContact: merchantContact(m),
			Purpose: pii.ShareMerchant, Method: "merchant console of the platform",
			Categories: "订单信息、收货人姓名（脱敏）、收货电话（脱敏）、收货地址", Reference: o.OrderNo,
		}, now); err != nil {
			return nil, err
		}
		ev, err := newEvent(ctx, tx, o, "", Buyer, now)
		placed = o
		return []*ent.OrderEvent{ev}, err
	})
	if ent.IsConstraintError(err) {
		// A concurrent retry with the same key won the race: return its order.
		if o, err2 := s.byKey(ctx, v.UserID, key); err2 == nil && o != nil {
			return o, nil
		}
	}
	return placed, err
}

func (s *Service) byKey(ctx context.Context, userID int, key string) (*ent.Order, error) {
	o, err := s.client.Order.Query().Where(order.UserID(userID), order.IdempotencyKey(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return o, err
}

// mergeLines validates lines, merges repeats and sorts them by product.
func mergeLines(in []Line) ([]Line, error) {
	if len(in) == 0 || len(in) > MaxLines {
		return nil, apperr.BadField("lines", "an order has 1 to %d lines", MaxLines)
	}
	qty := map[int]int{}
	for _, l := range in {
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return nil, apperr.BadField("lines", "a quantity is 1 to %d", MaxQuantity)
		}
		qty[l.ProductID] += l.Quantity
	}
	out := make([]Line, 0, len(qty))
	for id, q := range qty {
		if q > MaxQuantity {
			return nil, apperr.BadField("lines", "a quantity is 1 to %d", MaxQuantity)
		}
		out = append(out, Line{ProductID: id, Quantity: q})
	}
	slices.SortFunc(out, func(a, b Line) int { return a.ProductID - b.ProductID })
	return out, nil
}

func merchantContact(m *ent.Merchant) string {
	if m.Contact != "" {
		return m.Contact
	}
	return fmt.Sprintf("%s, %s", m.Campus, m.Location)
}

// newEvent stores a status change of o (to o.Status) in tx.
func newEvent(ctx context.Context, tx *ent.Tx, o *ent.Order, previous string, actor Actor, at time.Time) (*ent.OrderEvent, error) {
	return tx.OrderEvent.Create().SetOrderID(o.ID).SetUserID(o.UserID).SetMerchantID(o.MerchantID).
		SetStatus(string(o.Status)).SetPreviousStatus(previous).SetActor(actor).
		SetCreatedAt(at).Save(ctx)
}

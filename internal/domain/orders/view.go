package orders

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderitem"
	"github.com/tongxue/tongxue/internal/domain/address"
)

// View is an order as the graph shows it, with what its fields need loaded
// in one statement per kind for a whole page of orders.
type View struct {
	*ent.Order
	Items    []*ent.OrderItem
	Merchant *ent.Merchant
	Delivery *DeliveryView
}

// DeliveryView is the delivery snapshot of an order, opened for the graph:
// @mask shows it masked to everyone. The buyer may reveal it after a fresh
// verification; the order's merchant and courier may reveal the address,
// and only the address, while delivery needs it: from payment until the
// parcel is delivered (each reveal audited).
type DeliveryView struct {
	address.Delivery
	buyerID    int
	orderNo    string
	processors []int
}

// OwnerID is the buyer.
func (d *DeliveryView) OwnerID() int { return d.buyerID }

// MayReveal lets the merchant and the courier read the delivery address.
func (d *DeliveryView) MayReveal(viewerID int, field string) (string, bool) {
	if field != "Delivery.address" {
		return "", false
	}
	for _, p := range d.processors {
		if p == viewerID {
			return "delivery of order " + d.orderNo, true
		}
	}
	return "", false
}

// Views loads items, merchants and delivery details for orders.
func (s *Service) Views(ctx context.Context, os []*ent.Order) ([]*View, error) {
	if len(os) == 0 {
		return nil, nil
	}
	ids := make([]int, len(os))
	mids := make([]int, 0, len(os))
	for i, o := range os {
		ids[i] = o.ID
		mids = append(mids, o.MerchantID)
	}
	items, err := s.client.OrderItem.Query().Where(orderitem.OrderIDIn(ids...)).Order(ent.Asc(orderitem.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := s.client.Merchant.Query().Where(merchant.IDIn(mids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byOrder := map[int][]*ent.OrderItem{}
	for _, it := range items {
		byOrder[it.OrderID] = append(byOrder[it.OrderID], it)
	}
	byMerchant := map[int]*ent.Merchant{}
	for _, m := range ms {
		byMerchant[m.ID] = m
	}
	out := make([]*View, len(os))
	for i, o := range os {
		d, err := address.Open(s.ring, order.Table, o.RecipientNameCipher, o.RecipientPhoneCipher, o.AddressCipher)
		if err != nil {
			return nil, err
		}
		m := byMerchant[o.MerchantID]
		dv := &DeliveryView{Delivery: d, buyerID: o.UserID, orderNo: o.OrderNo}
		if o.Status == order.StatusPAID || o.Status == order.StatusSHIPPED {
			if m != nil && m.OwnerID != nil {
				dv.processors = append(dv.processors, *m.OwnerID)
			}
			if o.CourierID != nil {
				dv.processors = append(dv.processors, *o.CourierID)
			}
		}
		out[i] = &View{Order: o, Items: byOrder[o.ID], Merchant: m, Delivery: dv}
	}
	return out, nil
}

// View loads one order's view.
func (s *Service) View(ctx context.Context, o *ent.Order) (*View, error) {
	vs, err := s.Views(ctx, []*ent.Order{o})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

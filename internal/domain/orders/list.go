package orders

import (
	"context"
	"slices"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// ListFilter narrows a list of orders.
type ListFilter struct {
	Status *Status
	Limit  int
}

func (s *Service) list(ctx context.Context, who predicate.Order, f ListFilter) ([]*View, error) {
	q := s.client.Order.Query().Where(who)
	if f.Status != nil {
		q = q.Where(order.StatusEQ(*f.Status))
	}
	os, err := q.Order(ent.Desc(order.FieldCreatedAt), ent.Desc(order.FieldID)).
		Limit(paging.Clamp(f.Limit)).All(ctx)
	if err != nil {
		return nil, err
	}
	return s.Views(ctx, os)
}

// Bought lists the buyer's orders.
func (s *Service) Bought(ctx context.Context, userID int, f ListFilter) ([]*View, error) {
	return s.list(ctx, order.UserID(userID), f)
}

// Sold lists the orders of the shops ownerID runs.
func (s *Service) Sold(ctx context.Context, ownerID int, f ListFilter) ([]*View, error) {
	ids, err := s.ShopsOf(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, order.MerchantIDIn(ids...), f)
}

// Delivering lists the orders a runner delivers.
func (s *Service) Delivering(ctx context.Context, courierID int, f ListFilter) ([]*View, error) {
	return s.list(ctx, order.CourierID(courierID), f)
}

// ShopStream streams the order events of a shop ownerID runs: merchantID,
// or the only one they run (an account with several names one).
func (s *Service) ShopStream(ctx context.Context, bus pubsub.Bus, ownerID int, merchantID *int, after int) (<-chan *Event, error) {
	shops, err := s.ShopsOf(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	var id int
	switch {
	case merchantID != nil && slices.Contains(shops, *merchantID):
		id = *merchantID
	case merchantID != nil || len(shops) == 0:
		return nil, apperr.NotFound("merchant")
	case len(shops) > 1:
		return nil, apperr.BadField("merchantId", "you run %d shops: name the one to follow", len(shops))
	default:
		id = shops[0]
	}
	return s.Stream(ctx, bus, MerchantTopic(id), orderevent.MerchantID(id), after), nil
}

// ShopsOf returns the merchants a user runs.
func (s *Service) ShopsOf(ctx context.Context, ownerID int) ([]int, error) {
	return s.client.Merchant.Query().Where(merchant.OwnerID(ownerID)).IDs(ctx)
}

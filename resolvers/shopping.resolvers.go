package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/domain/student"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/partners/payment"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
)

func (r *mutationResolver) SetCartQuantity(ctx context.Context, productID int, quantity int) (*model.Cart, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Carts.SetQuantity(ctx, v.UserID, productID, quantity); err != nil {
		return nil, err
	}
	return r.cart(ctx, v.UserID)
}

func (r *mutationResolver) SetFavorite(ctx context.Context, productID int, favorite bool) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return favorite, r.Carts.Favorite(ctx, v.UserID, productID, favorite)
}

func (r *mutationResolver) CreateAddress(ctx context.Context, input model.AddressInput) (*address.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Addresses.Create(ctx, v.UserID, address.Input{
		Label: deref(input.Label, ""), RecipientName: input.RecipientName, Phone: input.Phone,
		Address: input.Address, IsDefault: deref(input.IsDefault, false),
	})
}

func (r *mutationResolver) DeleteAddress(ctx context.Context, id int) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Addresses.Delete(ctx, v.UserID, id)
}

func (r *mutationResolver) PlaceOrder(ctx context.Context, input model.PlaceOrderInput) (*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	lines := make([]orders.Line, len(input.Lines))
	for i, l := range input.Lines {
		lines[i] = orders.Line{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	o, err := r.Orders.Place(ctx, v, r.Addresses, orders.PlaceInput{
		Lines: lines, AddressID: input.AddressID, IdempotencyKey: input.IdempotencyKey,
	})
	if err != nil {
		return nil, err
	}
	return r.Orders.View(ctx, o)
}

func (r *mutationResolver) PayOrder(ctx context.Context, id int) (*payment.Intent, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.Pay(ctx, v, id)
}

func (r *mutationResolver) SandboxPay(ctx context.Context, id int, succeed *bool) (*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	sb, ok := r.Orders.Provider().(*payment.Sandbox)
	if !ok {
		return nil, apperr.Forbidden("sandboxPay works with the sandbox payment provider only")
	}
	o, roles, err := r.Orders.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if !roles.Buyer {
		return nil, apperr.Forbidden("only the buyer pays an order")
	}
	status := payment.StatusPaid
	if !deref(succeed, true) {
		status = payment.StatusFailed
	}
	h, body := sb.SignedCallback(o.OrderNo, deref(o.ProviderRef, "sandbox-"+o.OrderNo), o.TotalFen, status, r.Now())
	if err := r.Orders.HandleCallback(ctx, sb.Name(), h, body); err != nil {
		return nil, err
	}
	return r.order(ctx, v, id)
}

func (r *mutationResolver) CancelOrder(ctx context.Context, id int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusCANCELLED, orders.MoveOptions{})
}

func (r *mutationResolver) ShipOrder(ctx context.Context, id int, courierID *int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusSHIPPED, orders.MoveOptions{CourierID: courierID})
}

func (r *mutationResolver) MarkDelivered(ctx context.Context, id int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusDELIVERED, orders.MoveOptions{})
}

func (r *mutationResolver) ConfirmReceipt(ctx context.Context, id int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusCOMPLETED, orders.MoveOptions{})
}

func (r *mutationResolver) RequestRefund(ctx context.Context, id int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusREFUND_REQUESTED, orders.MoveOptions{})
}

func (r *mutationResolver) ApproveRefund(ctx context.Context, id int) (*orders.View, error) {
	return r.move(ctx, id, order.StatusREFUNDED, orders.MoveOptions{})
}

func (r *mutationResolver) SubmitStudentVerification(ctx context.Context, input model.StudentVerificationInput) (*student.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	photo, err := readUpload(&input.CardPhoto, studentverify.MaxPhotoBytes)
	if err != nil {
		return nil, apperr.BadField("cardPhoto", "the photo could not be read")
	}
	return r.Students.Submit(ctx, v, studentverify.Request{
		Name: input.Name, IDNumber: input.IDNumber, School: input.School, CHSICode: input.ChsiCode, CardPhoto: photo,
	})
}

func (r *orderEventResolver) Status(ctx context.Context, obj *orders.Event) (order.Status, error) {
	return order.Status(obj.Status), nil
}

func (r *orderEventResolver) PreviousStatus(ctx context.Context, obj *orders.Event) (*order.Status, error) {
	if obj.Previous == "" {
		return nil, nil
	}
	s := order.Status(obj.Previous)
	return &s, nil
}

func (r *orderEventResolver) Actor(ctx context.Context, obj *orders.Event) (orderevent.Actor, error) {
	return orderevent.Actor(obj.Actor), nil
}

func (r *queryResolver) MyCart(ctx context.Context) (*model.Cart, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.cart(ctx, v.UserID)
}

func (r *queryResolver) MyFavorites(ctx context.Context, limit *int) ([]*ent.Product, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Carts.Favorites(ctx, v.UserID, deref(limit, 20))
}

func (r *queryResolver) MyAddresses(ctx context.Context) ([]*address.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Addresses.List(ctx, v.UserID)
}

func (r *queryResolver) MyOrders(ctx context.Context, status *order.Status, limit *int) ([]*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.Bought(ctx, v.UserID, orders.ListFilter{Status: status, Limit: deref(limit, 20)})
}

func (r *queryResolver) Order(ctx context.Context, id int) (*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.order(ctx, v, id)
}

func (r *queryResolver) MerchantOrders(ctx context.Context, status *order.Status, limit *int) ([]*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.Sold(ctx, v.UserID, orders.ListFilter{Status: status, Limit: deref(limit, 20)})
}

func (r *queryResolver) CourierOrders(ctx context.Context, limit *int) ([]*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.Delivering(ctx, v.UserID, orders.ListFilter{Limit: deref(limit, 20)})
}

func (r *queryResolver) MySharingRecords(ctx context.Context, limit *int) ([]*ent.SharingRecord, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.SharingRecords(ctx, v.UserID, deref(limit, 50))
}

func (r *queryResolver) MyStudentVerification(ctx context.Context) (*student.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Students.Mine(ctx, v.UserID)
}

func (r *subscriptionResolver) OrderStatusChanged(ctx context.Context, orderID int, after *int) (<-chan *orders.Event, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	_, roles, err := r.Orders.Get(ctx, v, orderID)
	if err != nil {
		return nil, err
	}
	if !roles.Buyer && !roles.Merchant {
		return nil, apperr.NotFound("order")
	}
	return r.Orders.Stream(ctx, r.Bus, orders.OrderTopic(orderID), orderevent.OrderID(orderID), deref(after, -1)), nil
}

func (r *subscriptionResolver) MyOrderUpdates(ctx context.Context, after *int) (<-chan *orders.Event, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.Stream(ctx, r.Bus, orders.BuyerTopic(v.UserID), orderevent.UserID(v.UserID), deref(after, -1)), nil
}

func (r *subscriptionResolver) MerchantOrderUpdates(ctx context.Context, merchantID *int, after *int) (<-chan *orders.Event, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Orders.ShopStream(ctx, r.Bus, v.UserID, merchantID, deref(after, -1))
}

func (r *Resolver) OrderEvent() graph.OrderEventResolver { return &orderEventResolver{r} }

func (r *Resolver) Subscription() graph.SubscriptionResolver { return &subscriptionResolver{r} }

type (
	orderEventResolver   struct{ *Resolver }
	subscriptionResolver struct{ *Resolver }
)

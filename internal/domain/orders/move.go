package orders

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderitem"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Roles says how a viewer relates to an order; one person may hold several
// (a merchant buying in their own shop).
type Roles struct{ Buyer, Merchant, Courier, Staff bool }

// Any reports whether the viewer may see the order at all.
func (r Roles) Any() bool { return r.Buyer || r.Merchant || r.Courier || r.Staff }

func (r Roles) actors() []Actor {
	var out []Actor
	for _, a := range []struct {
		on    bool
		actor Actor
	}{{r.Buyer, Buyer}, {r.Merchant, Merchant}, {r.Courier, Courier}, {r.Staff, Staff}} {
		if a.on {
			out = append(out, a.actor)
		}
	}
	return out
}

// RolesOf works out the viewer's roles on o.
func (s *Service) RolesOf(ctx context.Context, v *auth.Viewer, o *ent.Order) (Roles, error) {
	r := Roles{Buyer: o.UserID == v.UserID, Staff: v.Role == user.RoleSTAFF,
		Courier: o.CourierID != nil && *o.CourierID == v.UserID}
	if v.Role == user.RoleMERCHANT {
		owns, err := s.client.Merchant.Query().Where(merchant.ID(o.MerchantID), merchant.OwnerID(v.UserID)).Exist(ctx)
		if err != nil {
			return r, err
		}
		r.Merchant = owns
	}
	return r, nil
}

// Get returns an order the viewer may see; others get NOT_FOUND, so an order
// number leaks nothing.
func (s *Service) Get(ctx context.Context, v *auth.Viewer, id int) (*ent.Order, Roles, error) {
	o, err := s.client.Order.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, Roles{}, apperr.NotFound("order")
	}
	if err != nil {
		return nil, Roles{}, err
	}
	r, err := s.RolesOf(ctx, v, o)
	if err != nil {
		return nil, r, err
	}
	if !r.Any() {
		return nil, r, apperr.NotFound("order")
	}
	return o, r, nil
}

// MoveOptions carry what some moves need.
type MoveOptions struct {
	CourierID *int // SHIPPED: the runner who delivers
}

// Move changes an order's status on the viewer's behalf, if the state
// machine lets one of the viewer's roles make that move.
func (s *Service) Move(ctx context.Context, v *auth.Viewer, id int, to Status, opt MoveOptions) (*ent.Order, error) {
	o, roles, err := s.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	var actor Actor
	var firstErr error
	for _, a := range roles.actors() {
		if err := CanMove(o.Status, to, a); err == nil {
			actor, firstErr = a, nil
			break
		} else if firstErr == nil {
			firstErr = err
		}
	}
	if actor == "" {
		return nil, firstErr
	}
	return s.move(ctx, o, to, actor, opt)
}

// move applies one transition in a transaction: compare-and-set on the
// status (a concurrent move makes this one fail cleanly), the side effects
// of the target state, and the durable event, published after commit.
func (s *Service) move(ctx context.Context, o *ent.Order, to Status, actor Actor, opt MoveOptions) (*ent.Order, error) {
	from := o.Status
	now := s.now()
	var moved *ent.Order
	err := s.write(ctx, func(tx *ent.Tx) ([]*ent.OrderEvent, error) {
		upd := tx.Order.Update().Where(order.ID(o.ID), order.StatusEQ(from)).SetStatus(to).SetUpdatedAt(now)
		if closes(to) {
			upd.SetClosedAt(now).SetRetainUntil(kept.For.After(now))
		}
		if to == order.StatusSHIPPED && opt.CourierID != nil {
			if err := s.assignCourier(ctx, tx, o, *opt.CourierID, now); err != nil {
				return nil, err
			}
			upd.SetCourierID(*opt.CourierID)
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.New(apperr.CodeConflict, "the order changed meanwhile; reload it")
		}
		if to == order.StatusCANCELLED && from == order.StatusAWAITING_PAYMENT {
			if err := restock(ctx, tx, o.ID); err != nil {
				return nil, err
			}
		}
		if moved, err = tx.Order.Get(ctx, o.ID); err != nil {
			return nil, err
		}
		ev, err := newEvent(ctx, tx, moved, string(from), actor, now)
		return []*ent.OrderEvent{ev}, err
	})
	return moved, err
}

// kept is how long a closed order is kept (T1), as ent/schema declares it
// for the retention runner and the privacy catalogue.
var kept = retention.MustKeepOf(order.Table, "")

// closes reports the statuses that end an order: its record's retention
// starts then.
func closes(s Status) bool {
	return s == order.StatusCOMPLETED || s == order.StatusCANCELLED || s == order.StatusREFUNDED
}

// assignCourier hands the order to a runner and records the hand-over. It
// needs the buyer's courier consent as it is now, not when they ordered.
func (s *Service) assignCourier(ctx context.Context, tx *ent.Tx, o *ent.Order, courierID int, now time.Time) error {
	if ok, err := s.priv.Allowed(ctx, o.UserID, pii.ShareCourier); err != nil {
		return err
	} else if !ok {
		return apperr.Forbidden("the buyer no longer agrees to share the delivery with a courier: ship it without one")
	}
	c, err := tx.User.Query().Where(user.ID(courierID), user.RoleEQ(user.RoleRUNNER)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.BadField("courierId", "no runner with this ID")
	}
	if err != nil {
		return err
	}
	return privacy.RecordSharing(ctx, tx, privacy.Sharing{
		UserID: o.UserID, Recipient: "跑腿配送员 " + c.Nickname, RecipientContact: "via the platform's in-app messages",
		Purpose: pii.ShareCourier, Method: "runner view of the platform",
		Categories: "收货人姓名（脱敏）、收货电话（脱敏）、收货地址、订单信息", Reference: o.OrderNo,
	}, now)
}

// restock returns a cancelled order's stock.
func restock(ctx context.Context, tx *ent.Tx, orderID int) error {
	items, err := tx.OrderItem.Query().Where(orderitem.OrderID(orderID)).Order(ent.Asc(orderitem.FieldProductID)).All(ctx)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := tx.Product.Update().Where(product.ID(it.ProductID)).AddStock(it.Quantity).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ExpireUnpaid cancels orders whose payment window has passed and returns
// their stock; it runs on a timer on every instance (the compare-and-set
// makes concurrent runs harmless).
func (s *Service) ExpireUnpaid(ctx context.Context, limit int) (int, error) {
	due, err := s.client.Order.Query().
		Where(order.StatusEQ(order.StatusAWAITING_PAYMENT), order.PayBeforeLT(s.now())).
		Order(ent.Asc(order.FieldPayBefore)).Limit(limit).All(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range due {
		if _, err := s.move(ctx, o, order.StatusCANCELLED, System, MoveOptions{}); err != nil {
			if apperr.CodeOf(err) == apperr.CodeConflict {
				continue // paid or cancelled meanwhile
			}
			return n, err
		}
		n++
	}
	return n, nil
}

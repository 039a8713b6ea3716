package retention

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/ent/orderitem"
	"github.com/tongxue/tongxue/ent/paymentcallback"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Transaction records (T1): orders and errands, kept the declared period
// after they close, then deleted with everything that belongs to them.

// closedOrders deletes orders past both their retain_until and the
// declared period from closed_at (an order closed before closed_at was
// recorded closed at its last change), with their items, status events and
// payment callbacks.
func closedOrders(now time.Time, keep pii.Keep) rule {
	cut := keep.For.Cutoff(now)
	due := []predicate.Order{
		order.StatusIn(order.StatusCOMPLETED, order.StatusCANCELLED, order.StatusREFUNDED),
		order.Or(order.RetainUntilIsNil(), order.RetainUntilLT(now)),
		order.Or(order.ClosedAtLT(cut), order.And(order.ClosedAtIsNil(), order.UpdatedAtLT(cut))),
	}
	children := func(ctx context.Context, c *ent.Client, ids []int) ([]Count, error) {
		items, err := c.OrderItem.Query().Where(orderitem.OrderIDIn(ids...)).Count(ctx)
		if err != nil {
			return nil, err
		}
		events, err := c.OrderEvent.Query().Where(orderevent.OrderIDIn(ids...)).Count(ctx)
		if err != nil {
			return nil, err
		}
		calls, err := c.PaymentCallback.Query().Where(paymentcallback.OrderIDIn(ids...)).Count(ctx)
		return []Count{count(orderitem.Table, deleted, items), count(orderevent.Table, deleted, events),
			count(paymentcallback.Table, deleted, calls)}, err
	}
	return rule{
		name: "orders",
		shape: []Count{count(order.Table, deleted, 0), count(orderitem.Table, deleted, 0),
			count(orderevent.Table, deleted, 0), count(paymentcallback.Table, deleted, 0)},
		due: func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.Order.Query().Where(append(due, order.IDGT(after))...).
				Order(ent.Asc(order.FieldID)).Limit(limit).IDs(ctx)
		},
		plan: func(ctx context.Context, c *ent.Client, ids []int) ([]Count, error) {
			out, err := children(ctx, c, ids)
			return append(out, count(order.Table, deleted, len(ids))), err
		},
		apply: func(ctx context.Context, tx *ent.Tx, ids []int) ([]Count, func(), error) {
			ids, err := tx.Order.Query().Where(append(due, order.IDIn(ids...))...).IDs(ctx)
			if err != nil || len(ids) == 0 {
				return nil, nil, err
			}
			items, err := tx.OrderItem.Delete().Where(orderitem.OrderIDIn(ids...)).Exec(ctx)
			if err != nil {
				return nil, nil, err
			}
			events, err := tx.OrderEvent.Delete().Where(orderevent.OrderIDIn(ids...)).Exec(ctx)
			if err != nil {
				return nil, nil, err
			}
			calls, err := tx.PaymentCallback.Delete().Where(paymentcallback.OrderIDIn(ids...)).Exec(ctx)
			if err != nil {
				return nil, nil, err
			}
			n, err := tx.Order.Delete().Where(order.IDIn(ids...)).Exec(ctx)
			return []Count{count(order.Table, deleted, n), count(orderitem.Table, deleted, items),
				count(orderevent.Table, deleted, events), count(paymentcallback.Table, deleted, calls)}, nil, err
		},
	}
}

// endedErrands deletes errands the declared period after they ended (an
// ended errand changes no more: updated_at is its end).
func (r *Runner) endedErrands(now time.Time, keep pii.Keep) rule {
	due := []predicate.Errand{
		errand.StatusIn(errand.StatusCOMPLETED, errand.StatusCANCELLED),
		errand.UpdatedAtLT(keep.For.Cutoff(now)),
	}
	return r.errandRule("errands", deleted, due, func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
		return tx.Errand.Delete().Where(errand.IDIn(ids...)).Exec(ctx)
	})
}

// deliveredErrands completes errands left DELIVERED for the declared
// period (the requester did not confirm): the pick-up code and the parcel
// photo have then served their purpose, so they are erased and the picture
// deleted. The parties see the status in myErrands (no live event: it is
// not a move either of them made).
func (r *Runner) deliveredErrands(now time.Time, keep pii.Keep) rule {
	due := []predicate.Errand{errand.StatusEQ(errand.StatusDELIVERED), errand.UpdatedAtLT(keep.For.Cutoff(now))}
	return r.errandRule("delivered errands", completed, due, func(ctx context.Context, tx *ent.Tx, ids []int) (int, error) {
		return tx.Errand.Update().Where(append(due, errand.IDIn(ids...))...).
			SetStatus(errand.StatusCOMPLETED).ClearCredentialCipher().ClearPhotoKey().SetUpdatedAt(now).Save(ctx)
	})
}

// errandRule acts on due errands and then releases their pictures.
func (r *Runner) errandRule(name, action string, due []predicate.Errand,
	act func(ctx context.Context, tx *ent.Tx, ids []int) (int, error)) rule {
	return rule{
		name:  name,
		shape: []Count{count(errand.Table, action, 0), count(mediaTable, released, 0)},
		due: func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.Errand.Query().Where(append(due, errand.IDGT(after))...).
				Order(ent.Asc(errand.FieldID)).Limit(limit).IDs(ctx)
		},
		plan: func(ctx context.Context, c *ent.Client, ids []int) ([]Count, error) {
			photos, err := c.Errand.Query().Where(errand.IDIn(ids...), errand.PhotoKeyNotNil()).Count(ctx)
			return []Count{count(errand.Table, action, len(ids)), count(mediaTable, released, photos)}, err
		},
		apply: func(ctx context.Context, tx *ent.Tx, ids []int) ([]Count, func(), error) {
			rows, err := tx.Errand.Query().Where(append(due, errand.IDIn(ids...))...).
				Select(errand.FieldID, errand.FieldPhotoKey).All(ctx)
			if err != nil || len(rows) == 0 {
				return nil, nil, err
			}
			ids, keys := make([]int, len(rows)), []string{}
			for i, e := range rows {
				ids[i] = e.ID
				if e.PhotoKey != nil {
					keys = append(keys, *e.PhotoKey)
				}
			}
			n, err := act(ctx, tx, ids)
			done := func() {
				if len(keys) > 0 && r.d.Media != nil {
					media.Release(ctx, r.d.DB.Client, r.d.Media, r.d.Log, keys...)
				}
			}
			return []Count{count(errand.Table, action, n), count(mediaTable, released, len(keys))}, done, err
		},
	}
}

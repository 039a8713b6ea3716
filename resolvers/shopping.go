package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/orders"
)

func (r *Resolver) cart(ctx context.Context, userID int) (*model.Cart, error) {
	lines, err := r.Carts.Lines(ctx, userID)
	if err != nil {
		return nil, err
	}
	c := &model.Cart{Lines: lines}
	for _, l := range lines {
		c.TotalFen += int(l.SubtotalFen())
	}
	return c, nil
}

func (r *Resolver) order(ctx context.Context, v *auth.Viewer, id int) (*orders.View, error) {
	o, _, err := r.Orders.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return r.Orders.View(ctx, o)
}

func (r *Resolver) move(ctx context.Context, id int, to order.Status, opt orders.MoveOptions) (*orders.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	o, err := r.Orders.Move(ctx, v, id, to, opt)
	if err != nil {
		return nil, err
	}
	return r.Orders.View(ctx, o)
}

package resolvers

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/node"
)

func (r *queryResolver) Node(ctx context.Context, id int) (ent.Noder, error) {
	return node.One(ctx, r.Client, id)
}

func (r *queryResolver) Nodes(ctx context.Context, ids []int) ([]ent.Noder, error) {
	if len(ids) > 100 {
		return nil, apperr.BadField("ids", "at most 100 IDs at a time")
	}
	return node.Many(ctx, r.Client, ids)
}

func (r *queryResolver) Merchants(ctx context.Context, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int, orderBy []*ent.MerchantOrder, where *ent.MerchantWhereInput) (*ent.MerchantConnection, error) {
	return r.Client.Merchant.Query().
		Paginate(ctx, after, first, before, last, ent.WithMerchantOrder(orderBy), ent.WithMerchantFilter(where.Filter))
}

func (r *Resolver) Post() graph.PostResolver { return &postResolver{r} }

func (r *Resolver) PostImage() graph.PostImageResolver { return &postImageResolver{r} }

func (r *Resolver) Query() graph.QueryResolver { return &queryResolver{r} }

func (r *Resolver) User() graph.UserResolver { return &userResolver{r} }

type (
	postResolver      struct{ *Resolver }
	postImageResolver struct{ *Resolver }
	queryResolver     struct{ *Resolver }
	userResolver      struct{ *Resolver }
)

package resolvers

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/domain/catalog"
)

func (r *queryResolver) Products(ctx context.Context, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int, orderBy []*ent.ProductOrder, where *ent.ProductWhereInput, search *string) (*ent.ProductConnection, error) {
	q := r.Client.Product.Query()
	if search != nil {
		p, err := catalog.Search(*search)
		if err != nil {
			return nil, err
		}
		if p != nil {
			q = q.Where(p)
		}
	}
	return q.Paginate(ctx, after, first, before, last, ent.WithProductOrder(orderBy), ent.WithProductFilter(where.Filter))
}

func (r *queryResolver) NearbyMerchants(ctx context.Context, latitude float64, longitude float64, radiusMeters *int, limit *int) ([]*catalog.Nearby, error) {
	return catalog.NearbyMerchants(ctx, r.Client, latitude, longitude, deref(radiusMeters, 3000), deref(limit, 20))
}

package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/errands"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

func (r *errandResolver) PhotoURL(ctx context.Context, obj *errands.View) (*string, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	key := obj.Photo(v.UserID)
	if key == nil {
		return nil, nil
	}
	u := r.Pictures.URL(*key, false) // a parcel photo is never public: signed, expiring
	return &u, nil
}

func (r *errandUpdateResolver) Status(ctx context.Context, obj *errands.Update) (errand.Status, error) {
	return errand.Status(obj.Status), nil
}

func (r *mutationResolver) PostErrand(ctx context.Context, input model.ErrandInput) (*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	photo, err := readUpload(input.Photo, 5<<20)
	if err != nil {
		return nil, apperr.BadField("photo", "the photo could not be read")
	}
	return r.Errands.Post(ctx, v, errands.Input{
		Area: input.Area, PickupPlace: input.PickupPlace, Credential: input.Credential, ParcelType: input.ParcelType,
		WeightGrams: input.WeightGrams, RewardFen: int64(input.RewardFen), Photo: photo,
		Delivery: address.Input{RecipientName: input.RecipientName, Phone: input.Phone, Address: input.Address},
	})
}

func (r *mutationResolver) TakeErrand(ctx context.Context, id int) (*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Take(ctx, v, id)
}

func (r *mutationResolver) PickUpErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusPICKED_UP)
}

func (r *mutationResolver) DeliverErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusDELIVERED)
}

func (r *mutationResolver) CompleteErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusCOMPLETED)
}

func (r *mutationResolver) CancelErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusCANCELLED)
}

func (r *queryResolver) OpenErrands(ctx context.Context, area *string, limit *int) ([]*ent.Errand, error) {
	return r.Errands.Open(ctx, area, deref(limit, 20))
}

func (r *queryResolver) Errand(ctx context.Context, id int) (*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Get(ctx, v, id)
}

func (r *queryResolver) MyErrands(ctx context.Context, asRunner *bool, limit *int) ([]*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Mine(ctx, v, deref(asRunner, false), deref(limit, 20))
}

func (r *subscriptionResolver) ErrandUpdated(ctx context.Context) (<-chan *errands.Update, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Updates(ctx, v), nil
}

func (r *Resolver) Errand() graph.ErrandResolver { return &errandResolver{r} }

func (r *Resolver) ErrandUpdate() graph.ErrandUpdateResolver { return &errandUpdateResolver{r} }

type (
	errandResolver       struct{ *Resolver }
	errandUpdateResolver struct{ *Resolver }
)

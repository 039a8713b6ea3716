package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/starcard"
)

func (r *mutationResolver) ApplyStarCard(ctx context.Context, input model.StarCardInput) (*ent.StarCard, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Cards.Apply(ctx, v, starcard.Input{Kind: input.Kind, Gender: input.Gender, School: input.School,
		SchoolingYears: input.SchoolingYears, EnrolmentYear: input.EnrolmentYear})
}

func (r *mutationResolver) StarCardQR(ctx context.Context, id int) (*model.StarCardQR, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	payload, exp, err := r.Cards.QR(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return &model.StarCardQR{Payload: payload, ExpiresAt: exp}, nil
}

func (r *mutationResolver) RevokeStarCard(ctx context.Context, id int) (*ent.StarCard, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Cards.Revoke(ctx, v, id)
}

func (r *queryResolver) MyStarCards(ctx context.Context) ([]*ent.StarCard, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Cards.Mine(ctx, v.UserID)
}

func (r *queryResolver) VerifyStarCard(ctx context.Context, payload string) (*starcard.Check, error) {
	return r.Cards.Verify(ctx, payload)
}

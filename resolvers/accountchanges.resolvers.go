package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

func (r *mutationResolver) RequestPhoneChangeCodes(ctx context.Context, newPhone string) (*model.PhoneChangeCodes, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := r.Auth.RequestPhoneChangeCodes(ctx, v, newPhone)
	if err != nil {
		return nil, err
	}
	return &model.PhoneChangeCodes{
		SentToOld: &model.LoginCodeTicket{SentTo: c.Old.SentTo, ExpiresIn: c.Old.ExpiresIn, ResendAfter: c.Old.ResendAfter},
		SentToNew: &model.LoginCodeTicket{SentTo: c.New.SentTo, ExpiresIn: c.New.ExpiresIn, ResendAfter: c.New.ResendAfter},
	}, nil
}

func (r *mutationResolver) ChangePhone(ctx context.Context, input model.ChangePhoneInput) (*ent.User, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Auth.ChangePhone(ctx, v, input.NewPhone, input.OldCode, input.NewCode)
}

func (r *mutationResolver) RequestAccountCancellation(ctx context.Context) (*model.AccountCancellation, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := r.Cancellations.Request(ctx, v.UserID, v)
	if err != nil {
		return nil, err
	}
	return &model.AccountCancellation{CancelAfter: c.CancelAfter, Terms: termsModel(c.Terms)}, nil
}

func (r *queryResolver) CancellationTerms(ctx context.Context) (*model.CancellationTerms, error) {
	return termsModel(account.TermsOf()), nil
}

package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

func (r *accountResolver) Profile(ctx context.Context, obj *ent.User) (*ent.User, error) {
	return obj, nil
}

// Phone opens the sealed number; @mask on the field masks it.
func (r *accountResolver) Phone(ctx context.Context, obj *ent.User) (*string, error) {
	p, err := r.Accounts.Phone(obj)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (r *mutationResolver) RequestLoginCode(ctx context.Context, phone string) (*model.LoginCodeTicket, error) {
	t, err := r.Auth.RequestLoginCode(ctx, phone)
	if err != nil {
		return nil, err
	}
	return &model.LoginCodeTicket{SentTo: t.SentTo, ExpiresIn: t.ExpiresIn, ResendAfter: t.ResendAfter}, nil
}

func (r *mutationResolver) Login(ctx context.Context, input model.LoginInput) (*model.AuthPayload, error) {
	res, err := r.Auth.Login(ctx, auth.LoginInput{
		Phone: input.Phone, Code: input.Code, Applicant: account.Applicant{
			BirthDate: input.BirthDate, Nickname: input.Nickname, AcceptPolicyVersion: input.AcceptPolicyVersion},
	})
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: res.Token, ExpiresAt: res.ExpiresAt, Account: res.User, Registered: res.Registered}, nil
}

func (r *mutationResolver) Logout(ctx context.Context) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Auth.Logout(ctx, v)
}

func (r *queryResolver) Me(ctx context.Context) (*ent.User, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, nil
	}
	return r.Client.User.Get(ctx, v.UserID)
}

func (r *Resolver) Account() graph.AccountResolver { return &accountResolver{r} }

type accountResolver struct{ *Resolver }

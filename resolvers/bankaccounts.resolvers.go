package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/bank"
	"github.com/tongxue/tongxue/internal/starcard"
)

func (r *bankAccountResolver) Balance(ctx context.Context, obj *starcard.AccountView) (*bank.Balance, error) {
	return r.Accounts.Balance(ctx, obj)
}

func (r *bankAccountResolver) Transactions(ctx context.Context, obj *starcard.AccountView, first *int, after *string) (*model.BankTransactionPage, error) {
	txs, next, err := r.Accounts.Transactions(ctx, obj, deref(after, ""), deref(first, 20))
	if err != nil {
		return nil, err
	}
	page := &model.BankTransactionPage{}
	for i := range txs {
		page.Items = append(page.Items, &txs[i])
	}
	if next != "" {
		page.Next = &next
	}
	return page, nil
}

func (r *mutationResolver) ApplyBankAccount(ctx context.Context, input model.BankAccountInput) (*starcard.AccountView, error) {
	v, _ := auth.Require(ctx)
	var in starcard.ApplyInput
	for _, f := range []struct {
		dst   *[]byte
		up    *graphql.Upload
		field string
	}{{&in.IDPhotoFront, &input.IDPhotoFront, "idPhotoFront"}, {&in.IDPhotoBack, &input.IDPhotoBack, "idPhotoBack"},
		{&in.FaceData, &input.FaceData, "faceData"}} {
		b, err := readUpload(f.up, 5<<20)
		if err != nil {
			return nil, apperr.BadField(f.field, "the file could not be read")
		}
		*f.dst = b
	}
	in.Name, in.IDNumber, in.BoundCard = input.Name, input.IDNumber, input.BoundCard
	return r.Accounts.Apply(ctx, v, in)
}

func (r *queryResolver) MyBankAccount(ctx context.Context) (*starcard.AccountView, error) {
	v, _ := auth.Require(ctx)
	return r.Accounts.Mine(ctx, v.UserID)
}

func (r *Resolver) BankAccount() graph.BankAccountResolver { return &bankAccountResolver{r} }

type bankAccountResolver struct{ *Resolver }

package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/bankaccounts"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

func (r *bankAccountResolver) Balance(ctx context.Context, obj *bankaccounts.View) (*bank.Balance, error) {
	return r.BankAccounts.Balance(ctx, obj)
}

func (r *bankAccountResolver) Transactions(ctx context.Context, obj *bankaccounts.View, first *int, after *string) (*model.BankTransactionPage, error) {
	txs, next, err := r.BankAccounts.Transactions(ctx, obj, deref(after, ""), deref(first, 20))
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

func (r *mutationResolver) ApplyBankAccount(ctx context.Context, input model.BankAccountInput) (*bankaccounts.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var in bankaccounts.ApplyInput
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
	return r.BankAccounts.Apply(ctx, v, in)
}

func (r *queryResolver) MyBankAccount(ctx context.Context) (*bankaccounts.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.BankAccounts.Mine(ctx, v.UserID)
}

func (r *Resolver) BankAccount() graph.BankAccountResolver { return &bankAccountResolver{r} }

type bankAccountResolver struct{ *Resolver }

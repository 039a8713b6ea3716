package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

func (r *mutationResolver) RequestDataExport(ctx context.Context) (*ent.DataExport, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Exports.Request(ctx, v.UserID)
}

func (r *mutationResolver) DataExportLink(ctx context.Context, id int) (*model.DataExportLink, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l, err := r.Exports.Link(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return &model.DataExportLink{URL: l.URL, ExpiresAt: l.ExpiresAt}, nil
}

func (r *queryResolver) MyDataExports(ctx context.Context) ([]*ent.DataExport, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Exports.Mine(ctx, v.UserID)
}

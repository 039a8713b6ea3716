package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/errands"
)

func (r *Resolver) moveErrand(ctx context.Context, id int, to errand.Status) (*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Move(ctx, v, id, to)
}

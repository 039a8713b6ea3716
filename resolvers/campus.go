package resolvers

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/errands"
	"github.com/tongxue/tongxue/internal/media"
)

// MediaPath is where pictures are served; their addresses come from
// pictures.Access (signed unless public).
const MediaPath = media.URLPath

// readUpload reads an optional upload, refusing more than limit bytes.
func readUpload(up *graphql.Upload, limit int64) ([]byte, error) {
	if up == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(up.File, limit+1))
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (r *Resolver) moveErrand(ctx context.Context, id int, to errand.Status) (*errands.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Errands.Move(ctx, v, id, to)
}

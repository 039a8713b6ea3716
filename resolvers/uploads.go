package resolvers

import (
	"io"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/internal/domain/media"
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

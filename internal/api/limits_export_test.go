package api

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/tongxue/tongxue/internal/app"
)

// NewGraphQLWithoutLimits is NewGraphQLWith without the request limits
// (limits.go): the baseline of BenchmarkHomeReadLimits.
func NewGraphQLWithoutLimits(d *app.Services, es graphql.ExecutableSchema) *handler.Server {
	return newGraphQL(d, es, false)
}

package api

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

// NewGraphQLWithoutLimits is NewGraphQLWith without the request limits
// (limits.go): the baseline of BenchmarkHomeReadLimits.
func NewGraphQLWithoutLimits(d Deps, es graphql.ExecutableSchema) *handler.Server {
	return newGraphQL(d, es, false)
}

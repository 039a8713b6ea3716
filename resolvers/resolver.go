// Package resolvers holds the GraphQL resolvers. They stay thin: read the
// viewer and the arguments, call domain code, shape the result.
package resolvers

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/auth"
)

// Resolver is the root resolver and its dependencies.
type Resolver struct {
	Client *ent.Client
	Auth   *auth.Service
}

// NewSchema returns the executable schema.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return graph.NewExecutableSchema(graph.Config{Resolvers: r})
}

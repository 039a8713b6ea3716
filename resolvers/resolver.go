// Package resolvers holds the GraphQL resolvers. They stay thin: read the
// viewer and the arguments, call domain code, shape the result.
package resolvers

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

// Resolver is the root resolver. It embeds the services as app.Build made
// them (r.Orders, r.Client, r.Now, ...): nothing is copied, so the
// resolvers see the same clock and services as the rest of the server.
type Resolver struct {
	*app.Services
}

// New returns the root resolver over s.
func New(s *app.Services) *Resolver { return &Resolver{Services: s} }

// Config wires the resolvers and every schema directive.
func Config(r *Resolver) graph.Config {
	return graph.Config{
		Resolvers: r,
		Directives: graph.DirectiveRoot{
			Auth:             auth.Directive,
			Consent:          r.Privacy.Consent,
			Mask:             r.Privacy.Mask,
			Reveal:           r.Privacy.Reveal,
			DevicePermission: r.Privacy.DevicePermission,
			PolicyExempt:     r.Privacy.PolicyExempt,
		},
	}
}

// NewSchema returns the executable schema.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return graph.NewExecutableSchema(Config(r))
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

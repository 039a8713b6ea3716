// Package resolvers holds the GraphQL resolvers. They stay thin: read the
// viewer and the arguments, call domain code, shape the result.
package resolvers

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/internal/address"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/cart"
	"github.com/tongxue/tongxue/internal/errands"
	"github.com/tongxue/tongxue/internal/feedback"
	"github.com/tongxue/tongxue/internal/orders"
	"github.com/tongxue/tongxue/internal/pictures"
	"github.com/tongxue/tongxue/internal/privacy"
	"github.com/tongxue/tongxue/internal/pubsub"
	"github.com/tongxue/tongxue/internal/starcard"
	"github.com/tongxue/tongxue/internal/student"
	"github.com/tongxue/tongxue/internal/wow"
)

// Resolver is the root resolver and its dependencies.
type Resolver struct {
	Client    *ent.Client
	Auth      *auth.Service
	Privacy   *privacy.Service
	Feedbacks *feedback.Service
	Carts     *cart.Service
	Addresses *address.Service
	Orders    *orders.Service
	Students  *student.Service
	Wows      *wow.Service
	Errands   *errands.Service
	Cards     *starcard.Cards
	Accounts  *starcard.Accounts
	Pictures  *pictures.Access // pictures' addresses (signed unless public)
	Bus       pubsub.Bus
	Now       func() time.Time
}

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

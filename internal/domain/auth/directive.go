package auth

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Directive implements @auth(roles): the one place roles are checked (Y3).
func Directive(ctx context.Context, _ any, next graphql.Resolver, roles []user.Role) (any, error) {
	v, err := Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(roles) > 0 && !slices.Contains(roles, v.Role) {
		return nil, apperr.Forbidden("this is not available to your role")
	}
	return next(ctx)
}

package resolvers

import (
	"github.com/tongxue/tongxue/graph"
)

func (r *Resolver) Mutation() graph.MutationResolver { return &mutationResolver{r} }

type mutationResolver struct{ *Resolver }

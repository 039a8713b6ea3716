// Package wow is the wow service (W1-W3): posts with pictures, visibility
// chosen by the author, friends, wows and the live wow stream.
package wow

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/intercept"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/system"
)

// Visible is the one rule of who sees a post: everyone a PUBLIC one, the
// author's friends (who follow each other) a FRIENDS one, only the author
// an ONLY_ME one. Anonymous viewers see public posts.
func Visible(ctx context.Context) predicate.Post {
	v := auth.FromContext(ctx)
	if v == nil {
		return post.VisibilityEQ(post.VisibilityPUBLIC)
	}
	friend := post.HasAuthorWith(
		user.HasFollowersWith(follow.FollowerID(v.UserID)),
		user.HasFollowingWith(follow.FolloweeID(v.UserID)),
	)
	return post.Or(
		post.VisibilityEQ(post.VisibilityPUBLIC),
		post.AuthorID(v.UserID),
		post.And(post.VisibilityEQ(post.VisibilityFRIENDS), friend),
	)
}

// Install makes every query for posts and their pictures, on every path
// (feed, profile, node, search, edges, subscriptions), apply Visible;
// only the server's own work (system.Context) sees every post.
func Install(client *ent.Client) {
	client.Post.Intercept(intercept.TraversePost(func(ctx context.Context, q *ent.PostQuery) error {
		if !system.Is(ctx) {
			q.Where(Visible(ctx))
		}
		return nil
	}))
	client.PostImage.Intercept(intercept.TraversePostImage(func(ctx context.Context, q *ent.PostImageQuery) error {
		if !system.Is(ctx) {
			q.Where(postimageVisible(ctx))
		}
		return nil
	}))
	// Every page of posts or users a request loads (feed, search, profile,
	// edges) is registered, so what its items ask is read for all of them
	// at once (pages.go).
	client.Post.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if ps, ok := v.([]*ent.Post); ok {
				posts, authors, public := make([]int, len(ps)), make([]int, len(ps)), make([]bool, len(ps))
				for i, p := range ps {
					posts[i], authors[i], public[i] = p.ID, p.AuthorID, p.Visibility == post.VisibilityPUBLIC
				}
				loaded(ctx, posts, public, authors)
				privacy.RegisterOwners(ctx, authors) // Post.location needs its author's consent
			}
			return v, err
		})
	}))
	client.User.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			if us, ok := v.([]*ent.User); ok {
				ids := make([]int, len(us))
				for i, u := range us {
					ids[i] = u.ID
				}
				loaded(ctx, nil, nil, ids)
			}
			return v, err
		})
	}))
}

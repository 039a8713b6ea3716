package resolvers

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/wow"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

func (r *mutationResolver) CreatePost(ctx context.Context, input model.CreatePostInput) (*ent.Post, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	in := wow.Input{Text: input.Text, Visibility: deref(input.Visibility, post.VisibilityPUBLIC), Location: input.Location}
	if len(input.Images) > wow.MaxImages {
		return nil, apperr.BadField("images", "at most %d pictures", wow.MaxImages)
	}
	for _, up := range input.Images {
		b, err := readUpload(up, int64(wow.ImageLimits.MaxBytes))
		if err != nil {
			return nil, apperr.BadField("images", "a picture could not be read")
		}
		in.Images = append(in.Images, b)
	}
	return r.Wows.Create(ctx, v, in)
}

func (r *mutationResolver) DeletePost(ctx context.Context, id int) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Wows.Delete(ctx, v, id)
}

func (r *mutationResolver) SendWow(ctx context.Context, postID int) (*ent.Post, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Wows.Send(ctx, v, postID)
}

func (r *mutationResolver) Follow(ctx context.Context, userID int) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Wows.Follow(ctx, v, userID, true)
}

func (r *mutationResolver) Unfollow(ctx context.Context, userID int) (bool, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	return true, r.Wows.Follow(ctx, v, userID, false)
}

func (r *mutationResolver) UpdateProfile(ctx context.Context, input model.ProfileInput) (*ent.User, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Accounts.UpdateProfile(ctx, v.UserID, account.Profile{Nickname: input.Nickname, AvatarURL: input.AvatarURL, School: input.School})
}

func (r *postResolver) Location(ctx context.Context, obj *ent.Post) (*string, error) {
	return r.Wows.Location(obj)
}

func (r *postResolver) ViewerHasWowed(ctx context.Context, obj *ent.Post) (bool, error) {
	return r.Wows.HasWowed(ctx, obj.ID)
}

func (r *postResolver) PreviewImages(ctx context.Context, obj *ent.Post, first int) ([]*ent.PostImage, error) {
	return r.Wows.Preview(ctx, obj.ID, first)
}

func (r *postImageResolver) URL(ctx context.Context, obj *ent.PostImage) (string, error) {
	return r.Wows.PictureURL(ctx, obj), nil
}

func (r *queryResolver) WowFeed(ctx context.Context, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int) (*ent.PostConnection, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Wows.Feed(ctx, v, wow.Page{After: after, First: first, Before: before, Last: last})
}

func (r *queryResolver) SearchWows(ctx context.Context, text string, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int) (*ent.PostConnection, error) {
	return r.Wows.Search(ctx, text, wow.Page{After: after, First: first, Before: before, Last: last})
}

func (r *queryResolver) MyFriends(ctx context.Context) ([]*ent.User, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Wows.Friends(ctx, v)
}

func (r *subscriptionResolver) WowReceived(ctx context.Context, after *int) (<-chan *wow.Event, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Wows.Received(ctx, v, deref(after, -1)), nil
}

func (r *userResolver) WowCount(ctx context.Context, obj *ent.User) (int, error) {
	return r.Wows.WowCount(ctx, obj.ID)
}

// Post loads the wowed post as the subscriber (its author) sees it.
func (r *wowEventResolver) Post(ctx context.Context, obj *wow.Event) (*ent.Post, error) {
	return r.Wows.PostOf(ctx, obj)
}

// Sender is the public profile of who sent the wow.
func (r *wowEventResolver) Sender(ctx context.Context, obj *wow.Event) (*ent.User, error) {
	return r.Wows.SenderOf(ctx, obj)
}

func (r *Resolver) WowEvent() graph.WowEventResolver { return &wowEventResolver{r} }

type wowEventResolver struct{ *Resolver }

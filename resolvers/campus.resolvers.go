package resolvers

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/address"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/bank"
	"github.com/tongxue/tongxue/internal/errands"
	"github.com/tongxue/tongxue/internal/starcard"
	"github.com/tongxue/tongxue/internal/wow"
)

func (r *bankAccountResolver) Balance(ctx context.Context, obj *starcard.AccountView) (*bank.Balance, error) {
	return r.Accounts.Balance(ctx, obj)
}

func (r *bankAccountResolver) Transactions(ctx context.Context, obj *starcard.AccountView, first *int, after *string) (*model.BankTransactionPage, error) {
	txs, next, err := r.Accounts.Transactions(ctx, obj, deref(after, ""), deref(first, 20))
	if err != nil {
		return nil, err
	}
	page := &model.BankTransactionPage{}
	for i := range txs {
		page.Items = append(page.Items, &txs[i])
	}
	if next != "" {
		page.Next = &next
	}
	return page, nil
}

func (r *errandResolver) PhotoURL(ctx context.Context, obj *errands.View) (*string, error) {
	v, _ := auth.Require(ctx)
	key := obj.Photo(v.UserID)
	if key == nil {
		return nil, nil
	}
	u := r.Pictures.URL(*key, false) // a parcel photo is never public: signed, expiring
	return &u, nil
}

func (r *errandUpdateResolver) Status(ctx context.Context, obj *errands.Update) (errand.Status, error) {
	return errand.Status(obj.Status), nil
}

func (r *mutationResolver) PostErrand(ctx context.Context, input model.ErrandInput) (*errands.View, error) {
	v, _ := auth.Require(ctx)
	photo, err := readUpload(input.Photo, 5<<20)
	if err != nil {
		return nil, apperr.BadField("photo", "the photo could not be read")
	}
	return r.Errands.Post(ctx, v, errands.Input{
		Area: input.Area, PickupPlace: input.PickupPlace, Credential: input.Credential, ParcelType: input.ParcelType,
		WeightGrams: input.WeightGrams, RewardFen: int64(input.RewardFen), Photo: photo,
		Delivery: address.Input{RecipientName: input.RecipientName, Phone: input.Phone, Address: input.Address},
	})
}

func (r *mutationResolver) TakeErrand(ctx context.Context, id int) (*errands.View, error) {
	v, _ := auth.Require(ctx)
	return r.Errands.Take(ctx, v, id)
}

func (r *mutationResolver) PickUpErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusPICKED_UP)
}

func (r *mutationResolver) DeliverErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusDELIVERED)
}

func (r *mutationResolver) CompleteErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusCOMPLETED)
}

func (r *mutationResolver) CancelErrand(ctx context.Context, id int) (*errands.View, error) {
	return r.moveErrand(ctx, id, errand.StatusCANCELLED)
}

func (r *mutationResolver) ApplyStarCard(ctx context.Context, input model.StarCardInput) (*ent.StarCard, error) {
	v, _ := auth.Require(ctx)
	return r.Cards.Apply(ctx, v, starcard.Input{Kind: input.Kind, Gender: input.Gender, School: input.School,
		SchoolingYears: input.SchoolingYears, EnrolmentYear: input.EnrolmentYear})
}

func (r *mutationResolver) StarCardQR(ctx context.Context, id int) (*model.StarCardQR, error) {
	v, _ := auth.Require(ctx)
	payload, exp, err := r.Cards.QR(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return &model.StarCardQR{Payload: payload, ExpiresAt: exp}, nil
}

func (r *mutationResolver) RevokeStarCard(ctx context.Context, id int) (*ent.StarCard, error) {
	v, _ := auth.Require(ctx)
	return r.Cards.Revoke(ctx, v, id)
}

func (r *mutationResolver) ApplyBankAccount(ctx context.Context, input model.BankAccountInput) (*starcard.AccountView, error) {
	v, _ := auth.Require(ctx)
	var in starcard.ApplyInput
	for _, f := range []struct {
		dst   *[]byte
		up    *graphql.Upload
		field string
	}{{&in.IDPhotoFront, &input.IDPhotoFront, "idPhotoFront"}, {&in.IDPhotoBack, &input.IDPhotoBack, "idPhotoBack"},
		{&in.FaceData, &input.FaceData, "faceData"}} {
		b, err := readUpload(f.up, 5<<20)
		if err != nil {
			return nil, apperr.BadField(f.field, "the file could not be read")
		}
		*f.dst = b
	}
	in.Name, in.IDNumber, in.BoundCard = input.Name, input.IDNumber, input.BoundCard
	return r.Accounts.Apply(ctx, v, in)
}

func (r *mutationResolver) CreatePost(ctx context.Context, input model.CreatePostInput) (*ent.Post, error) {
	v, _ := auth.Require(ctx)
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
	v, _ := auth.Require(ctx)
	return true, r.Wows.Delete(ctx, v, id)
}

func (r *mutationResolver) SendWow(ctx context.Context, postID int) (*ent.Post, error) {
	v, _ := auth.Require(ctx)
	return r.Wows.Send(ctx, v, postID)
}

func (r *mutationResolver) Follow(ctx context.Context, userID int) (bool, error) {
	v, _ := auth.Require(ctx)
	return true, r.Wows.Follow(ctx, v, userID, true)
}

func (r *mutationResolver) Unfollow(ctx context.Context, userID int) (bool, error) {
	v, _ := auth.Require(ctx)
	return true, r.Wows.Follow(ctx, v, userID, false)
}

func (r *mutationResolver) UpdateProfile(ctx context.Context, input model.ProfileInput) (*ent.User, error) {
	v, _ := auth.Require(ctx)
	return r.Auth.UpdateProfile(ctx, v, auth.Profile{Nickname: input.Nickname, AvatarURL: input.AvatarURL, School: input.School})
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

func (r *queryResolver) OpenErrands(ctx context.Context, area *string, limit *int) ([]*ent.Errand, error) {
	return r.Errands.Open(ctx, area, deref(limit, 20))
}

func (r *queryResolver) Errand(ctx context.Context, id int) (*errands.View, error) {
	v, _ := auth.Require(ctx)
	return r.Errands.Get(ctx, v, id)
}

func (r *queryResolver) MyErrands(ctx context.Context, asRunner *bool, limit *int) ([]*errands.View, error) {
	v, _ := auth.Require(ctx)
	return r.Errands.Mine(ctx, v, deref(asRunner, false), deref(limit, 20))
}

func (r *queryResolver) MyStarCards(ctx context.Context) ([]*ent.StarCard, error) {
	v, _ := auth.Require(ctx)
	return r.Cards.Mine(ctx, v.UserID)
}

func (r *queryResolver) VerifyStarCard(ctx context.Context, payload string) (*starcard.Check, error) {
	return r.Cards.Verify(ctx, payload)
}

func (r *queryResolver) MyBankAccount(ctx context.Context) (*starcard.AccountView, error) {
	v, _ := auth.Require(ctx)
	return r.Accounts.Mine(ctx, v.UserID)
}

func (r *queryResolver) WowFeed(ctx context.Context, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int) (*ent.PostConnection, error) {
	v, _ := auth.Require(ctx)
	return r.Wows.Feed(ctx, v, wow.Page{After: after, First: first, Before: before, Last: last})
}

func (r *queryResolver) SearchWows(ctx context.Context, text string, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int) (*ent.PostConnection, error) {
	return r.Wows.Search(ctx, text, wow.Page{After: after, First: first, Before: before, Last: last})
}

func (r *queryResolver) MyFriends(ctx context.Context) ([]*ent.User, error) {
	v, _ := auth.Require(ctx)
	return r.Wows.Friends(ctx, v)
}

func (r *subscriptionResolver) ErrandUpdated(ctx context.Context) (<-chan *errands.Update, error) {
	v, _ := auth.Require(ctx)
	return r.Errands.Updates(ctx, v), nil
}

func (r *subscriptionResolver) WowReceived(ctx context.Context, after *int) (<-chan *wow.Event, error) {
	v, _ := auth.Require(ctx)
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

func (r *Resolver) BankAccount() graph.BankAccountResolver { return &bankAccountResolver{r} }

func (r *Resolver) Errand() graph.ErrandResolver { return &errandResolver{r} }

func (r *Resolver) ErrandUpdate() graph.ErrandUpdateResolver { return &errandUpdateResolver{r} }

func (r *Resolver) WowEvent() graph.WowEventResolver { return &wowEventResolver{r} }

type (
	bankAccountResolver  struct{ *Resolver }
	errandResolver       struct{ *Resolver }
	errandUpdateResolver struct{ *Resolver }
	wowEventResolver     struct{ *Resolver }
)

package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/feedback"
)

func (r *feedbackResolver) ContactPhone(ctx context.Context, obj *ent.Feedback) (*string, error) {
	return r.Feedbacks.ContactPhone(obj)
}

func (r *feedbackResolver) ContactEmail(ctx context.Context, obj *ent.Feedback) (*string, error) {
	return r.Feedbacks.ContactEmail(obj)
}

func (r *mutationResolver) SubmitFeedback(ctx context.Context, input model.FeedbackInput) (*ent.Feedback, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Feedbacks.Submit(ctx, v.UserID, feedback.Input{
		Text: input.Text, ContactPhone: input.ContactPhone, ContactEmail: input.ContactEmail,
	})
}

func (r *queryResolver) MyFeedback(ctx context.Context, limit *int) ([]*ent.Feedback, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Feedbacks.Mine(ctx, v.UserID, deref(limit, 20))
}

func (r *Resolver) Feedback() graph.FeedbackResolver { return &feedbackResolver{r} }

type feedbackResolver struct{ *Resolver }

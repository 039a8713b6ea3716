package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/feedback"
)

func (r *mutationResolver) SubmitFeedback(ctx context.Context, input model.FeedbackInput) (*feedback.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Feedbacks.Submit(ctx, v.UserID, feedback.Input{
		Text: input.Text, ContactPhone: input.ContactPhone, ContactEmail: input.ContactEmail,
	})
}

func (r *queryResolver) MyFeedback(ctx context.Context, limit *int) ([]*feedback.View, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Feedbacks.Mine(ctx, v.UserID, deref(limit, 20))
}

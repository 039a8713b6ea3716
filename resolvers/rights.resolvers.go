package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

func (r *mutationResolver) SubmitPrivacyRequest(ctx context.Context, input model.PrivacyRequestInput) (*rights.Request, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Rights.Submit(ctx, v.UserID, input.Kind, input.Details)
}

func (r *mutationResolver) SubmitKinRequest(ctx context.Context, input model.KinRequestInput) (*rights.Request, error) {
	in := rights.KinInput{Kind: input.Kind, DeceasedPhone: input.DeceasedPhone, KinName: input.KinName,
		KinContact: input.KinContact, KinRelation: input.KinRelation, Details: input.Details}
	if len(input.Documents) > rights.MaxDocuments {
		return nil, apperr.BadField("documents", "send at most %d files", rights.MaxDocuments)
	}
	for _, up := range input.Documents {
		b, err := readUpload(up, rights.MaxDocumentBytes)
		if err != nil {
			return nil, apperr.BadField("documents", "a file could not be read")
		}
		in.Documents = append(in.Documents, b)
	}
	return r.Rights.SubmitKin(ctx, in)
}

func (r *mutationResolver) SetKinArrangement(ctx context.Context, arrangement *user.KinArrangement) (*ent.User, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Rights.SetKinArrangement(ctx, v.UserID, arrangement)
}

func (r *mutationResolver) AnswerPrivacyRequest(ctx context.Context, input model.AnswerPrivacyRequestInput) (*rights.Request, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Rights.Answer(ctx, v, input.ID, input.Answer, deref(input.Refuse, false))
}

func (r *queryResolver) PrivacyContact(ctx context.Context) (*model.PrivacyContact, error) {
	c := r.Rights.Contact()
	return &model.PrivacyContact{Email: c.Email, Address: c.Address, Hours: c.Hours,
		AnswerWithinWorkingDays: c.AnswerWithinWorkingDays}, nil
}

func (r *queryResolver) MyPrivacyRequests(ctx context.Context) ([]*rights.Request, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Rights.Mine(ctx, v.UserID)
}

func (r *queryResolver) PrivacyRequestQueue(ctx context.Context, first *int) ([]*rights.StaffRequest, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Rights.Queue(ctx, v, deref(first, 50))
}

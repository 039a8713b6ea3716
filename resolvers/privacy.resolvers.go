package resolvers

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/graph"
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

func (r *mutationResolver) AcceptPrivacyPolicy(ctx context.Context, version string, channel *consentevent.Channel) (*ent.PolicyVersion, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ch := policyacceptance.ChannelPOPUP
	if channel != nil {
		ch = policyacceptance.Channel(*channel)
	}
	return r.Privacy.Accept(ctx, v, version, ch)
}

func (r *mutationResolver) GrantConsent(ctx context.Context, purpose pii.Purpose, channel consentevent.Channel) (*privacy.ConsentState, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.Decide(ctx, v, purpose, true, channel)
}

func (r *mutationResolver) WithdrawConsent(ctx context.Context, purpose pii.Purpose, channel consentevent.Channel) (*privacy.ConsentState, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.Decide(ctx, v, purpose, false, channel)
}

func (r *mutationResolver) ReportDevicePermissions(ctx context.Context, input model.DevicePermissionsInput) (*ent.DevicePermission, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.ReportPermissions(ctx, v, privacy.Permissions{
		Platform: input.Platform, Phone: input.Phone, Camera: input.Camera,
		Album: input.Album, Location: input.Location, Storage: input.Storage,
	})
}

func (r *mutationResolver) RequestRevealCode(ctx context.Context) (*model.LoginCodeTicket, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	t, err := r.Auth.RequestRevealCode(ctx, v)
	if err != nil {
		return nil, err
	}
	return &model.LoginCodeTicket{SentTo: t.SentTo, ExpiresIn: t.ExpiresIn, ResendAfter: t.ResendAfter}, nil
}

func (r *mutationResolver) VerifyReveal(ctx context.Context, code string) (*model.RevealGrant, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	until, err := r.Auth.VerifyReveal(ctx, v, code)
	if err != nil {
		return nil, err
	}
	return &model.RevealGrant{ExpiresAt: until}, nil
}

func (r *mutationResolver) PublishPrivacyPolicy(ctx context.Context, input model.PublishPolicyInput) (*ent.PolicyVersion, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.Publish(ctx, v, privacy.PublishInput{
		Version: input.Version, EffectiveAt: input.EffectiveAt, Summary: input.Summary, Major: input.Major, URL: input.URL,
	})
}

func (r *privacyPolicyResolver) Accepted(ctx context.Context, obj *ent.PolicyVersion) (*bool, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, nil
	}
	accepted := v.AcceptedPolicySeq >= obj.Seq
	return &accepted, nil
}

func (r *purposeInfoResolver) Recipient(ctx context.Context, obj *pii.Info) (*string, error) {
	if obj.Recipient == "" {
		return nil, nil
	}
	return &obj.Recipient, nil
}

func (r *queryResolver) PrivacyPolicy(ctx context.Context) (*ent.PolicyVersion, error) {
	return r.Privacy.Current(ctx)
}

func (r *queryResolver) ConsentPurposes(ctx context.Context) ([]*pii.Info, error) {
	var out []*pii.Info
	for _, info := range pii.Purposes() {
		out = append(out, &info)
	}
	return out, nil
}

func (r *queryResolver) MyConsents(ctx context.Context) ([]*privacy.ConsentState, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.States(ctx, v.UserID)
}

func (r *queryResolver) MyConsentHistory(ctx context.Context, limit *int) ([]*ent.ConsentEvent, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.History(ctx, v.UserID, deref(limit, 50))
}

func (r *queryResolver) MyDevicePermissions(ctx context.Context) (*ent.DevicePermission, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.Permissions(ctx, v)
}

func (r *queryResolver) MySensitiveDataAccess(ctx context.Context, limit *int) ([]*ent.SensitiveAccess, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return r.Privacy.Accesses(ctx, v.UserID, deref(limit, 50))
}

func (r *queryResolver) StaffAccount(ctx context.Context, id int) (*ent.User, error) {
	u, err := r.Client.User.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("account")
	}
	return u, err
}

func (r *sensitiveDataAccessResolver) ActorRole(ctx context.Context, obj *ent.SensitiveAccess) (user.Role, error) {
	return user.Role(obj.ActorRole), nil
}

func (r *sensitiveDataAccessResolver) ByMe(ctx context.Context, obj *ent.SensitiveAccess) (bool, error) {
	return obj.ActorID == obj.SubjectID, nil
}

func (r *staffAccountViewResolver) Profile(ctx context.Context, obj *ent.User) (*ent.User, error) {
	return obj, nil
}

// Phone opens the sealed number as Account.phone does; @mask masks it.
func (r *staffAccountViewResolver) Phone(ctx context.Context, obj *ent.User) (*string, error) {
	return r.Account().Phone(ctx, obj)
}

func (r *Resolver) PrivacyPolicy() graph.PrivacyPolicyResolver { return &privacyPolicyResolver{r} }

func (r *Resolver) PurposeInfo() graph.PurposeInfoResolver { return &purposeInfoResolver{r} }

func (r *Resolver) SensitiveDataAccess() graph.SensitiveDataAccessResolver {
	return &sensitiveDataAccessResolver{r}
}

func (r *Resolver) StaffAccountView() graph.StaffAccountViewResolver {
	return &staffAccountViewResolver{r}
}

type (
	privacyPolicyResolver       struct{ *Resolver }
	purposeInfoResolver         struct{ *Resolver }
	sensitiveDataAccessResolver struct{ *Resolver }
	staffAccountViewResolver    struct{ *Resolver }
)

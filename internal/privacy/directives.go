package privacy

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/mask"
	"github.com/tongxue/tongxue/internal/pii"
)

// The schema directives. Each rule is implemented here once; the schema
// says where it applies.

// Subject says whose consent @consent asks for (ConsentSubject enum).
type Subject string

const (
	SubjectViewer Subject = "VIEWER"
	SubjectOwner  Subject = "OWNER"
)

// Consent implements @consent(purpose, of). Without the consent a mutation
// stops here, before its resolver runs, and a field resolves to null with
// CONSENT_REQUIRED. The owner's missing consent hides the field silently:
// the viewer cannot grant it.
func (s *Service) Consent(ctx context.Context, obj any, next graphql.Resolver, purpose pii.Purpose, of *Subject) (any, error) {
	info, ok := pii.Lookup(purpose)
	if !ok {
		return nil, fmt.Errorf("privacy: @consent names unknown purpose %q", purpose)
	}
	if !info.NeedsConsent() {
		return next(ctx)
	}
	if of != nil && *of == SubjectOwner {
		o, ok := obj.(Owned)
		if !ok {
			return nil, fmt.Errorf("privacy: @consent(of: OWNER) on %T, which has no owner", obj)
		}
		allowed, err := s.Allowed(ctx, o.OwnerID(), purpose)
		if err != nil || !allowed {
			return nil, err
		}
		return next(ctx)
	}
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	allowed, err := s.Allowed(ctx, v.UserID, purpose)
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, s.consentRequired(ctx, info)
	}
	return next(ctx)
}

// MinReasonLength is the shortest reason staff may give for a reveal.
const MinReasonLength = 4

// Mask implements @mask(kind): the value is masked unless the query asks
// for it with @reveal and the viewer may see it (the owner after a fresh
// verification, staff with a reason). Each reveal is audited first; a
// refused reveal still returns the masked value, with an error saying why.
func (s *Service) Mask(ctx context.Context, obj any, next graphql.Resolver, kind mask.Kind) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	var plain string
	switch v := res.(type) {
	case string:
		plain = v
	case *string:
		if v == nil {
			return res, nil
		}
		plain = *v
	default:
		return nil, fmt.Errorf("privacy: @mask on a %T field", res)
	}
	masked := mask.Apply(kind, plain)
	fc := graphql.GetFieldContext(ctx)
	reveal := fc.Field.Directives.ForName("reveal")
	if reveal == nil {
		return wrap(res, masked), nil
	}
	field := fc.Object + "." + fc.Field.Name
	reason := ""
	if a := reveal.Arguments.ForName("reason"); a != nil && a.Value != nil {
		if r, err := a.Value.Value(graphql.GetOperationContext(ctx).Variables); err == nil {
			reason, _ = r.(string)
		}
	}
	if err := s.reveal(ctx, obj, field, strings.TrimSpace(reason)); err != nil {
		graphql.AddError(ctx, err)
		return wrap(res, masked), nil
	}
	return res, nil
}

func (s *Service) reveal(ctx context.Context, obj any, field, reason string) error {
	v, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	o, ok := obj.(Owned)
	if !ok {
		return fmt.Errorf("privacy: @mask on %T, which has no owner", obj)
	}
	switch {
	case v.Role == user.RoleSTAFF && v.UserID != o.OwnerID():
		if utf8.RuneCountInString(reason) < MinReasonLength {
			return apperr.BadInput("staff must state a reason to reveal %s", field).With("field", "reason")
		}
	case v.UserID == o.OwnerID():
		if !v.CanReveal(s.now()) {
			return apperr.New("VERIFICATION_REQUIRED",
				"verify with an SMS code (requestRevealCode, verifyReveal) to reveal your own data")
		}
		if reason == "" {
			reason = "owner"
		}
	default:
		return apperr.Forbidden("only the owner and staff may reveal %s", field)
	}
	return s.recordReveal(ctx, v, o.OwnerID(), field, reason)
}

func wrap(orig any, s string) any {
	if _, ok := orig.(*string); ok {
		return &s
	}
	return s
}

// Reveal implements @reveal: it only checks placement; @mask does the work.
func (s *Service) Reveal(ctx context.Context, _ any, next graphql.Resolver, _ *string) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc.Field.Definition == nil || fc.Field.Definition.Directives.ForName("mask") == nil {
		return nil, apperr.BadInput("@reveal applies to masked fields only")
	}
	return next(ctx)
}

// DevicePermission implements @devicePermission(kind).
func (s *Service) DevicePermission(ctx context.Context, _ any, next graphql.Resolver, kind Permission) (any, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RequirePermission(ctx, v, kind); err != nil {
		return nil, err
	}
	return next(ctx)
}

// PolicyExempt implements @policyExempt, a marker read by Gate.
func (s *Service) PolicyExempt(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// Gate is the P1 rule, for every root field in one place: while a major
// policy version is in force that the viewer has not accepted, only fields
// marked @policyExempt run.
func (s *Service) Gate(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	v := auth.FromContext(ctx)
	fc := graphql.GetRootFieldContext(ctx)
	if v == nil || fc == nil || strings.HasPrefix(fc.Field.Name, "__") ||
		(fc.Field.Definition != nil && fc.Field.Definition.Directives.ForName("policyExempt") != nil) {
		return next(ctx)
	}
	if err := s.UpdateRequired(ctx, v); err != nil {
		graphql.AddError(ctx, err)
		return graphql.Null
	}
	return next(ctx)
}

// MarshalGQL writes the enum value.
func (s Subject) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads the enum value.
func (s *Subject) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	if str != string(SubjectViewer) && str != string(SubjectOwner) {
		return fmt.Errorf("%q is not a consent subject", str)
	}
	*s = Subject(str)
	return nil
}

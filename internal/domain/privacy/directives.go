package privacy

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
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
// the viewer cannot grant it. (The fast path is kept small: these run deep
// in per-item goroutines, where a larger frame costs a stack copy.)
func (s *Service) Consent(ctx context.Context, obj any, next graphql.Resolver, purpose pii.Purpose, of *Subject) (any, error) {
	if err := s.checkConsent(ctx, obj, purpose, of); err != nil {
		if err == errHidden { //nolint:errorlint // checkConsent returns this sentinel as it is
			return nil, nil
		}
		return nil, err
	}
	return next(ctx)
}

var errHidden = fmt.Errorf("privacy: hidden by the owner's choice")

func (s *Service) checkConsent(ctx context.Context, obj any, purpose pii.Purpose, of *Subject) error {
	info, ok := pii.Lookup(purpose)
	if !ok {
		return fmt.Errorf("privacy: @consent names unknown purpose %q", purpose)
	}
	if !info.NeedsConsent() {
		return nil
	}
	if of != nil && *of == SubjectOwner {
		o, ok := obj.(Owned)
		if !ok {
			return fmt.Errorf("privacy: @consent(of: OWNER) on %T, which has no owner", obj)
		}
		allowed, err := s.allowedFor(ctx, o.OwnerID(), purpose)
		if err != nil {
			return err
		}
		if !allowed {
			return errHidden
		}
		return nil
	}
	v, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.RequireConsent(ctx, v.UserID, purpose)
}

// A staff reveal states a reason of MinReasonLength to MaxReasonLength
// characters (the audit record keeps it).
const (
	MinReasonLength = 4
	MaxReasonLength = 500
)

// Mask implements @mask(kind): the value is masked unless the query asks
// for it with @reveal and the viewer may see it (the owner after a fresh
// verification, staff with a reason; a secret never to staff). Each reveal
// is audited first, and only a value that is there is a reveal: asking for
// an erased one is answered null and records nothing. A refused reveal
// still returns the masked value (a secret: null), with an error saying why.
func (s *Service) Mask(ctx context.Context, obj any, next graphql.Resolver, kind mask.Kind) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	if reveal := graphql.GetFieldContext(ctx).Field.Directives.ForName("reveal"); reveal != nil {
		return s.revealOrMask(ctx, obj, res, kind, reveal), nil
	}
	return maskValue(res, kind)
}

func maskValue(res any, kind mask.Kind) (any, error) {
	switch v := res.(type) {
	case string:
		return mask.Apply(kind, v), nil
	case *string:
		if v == nil {
			return v, nil
		}
		m := mask.Apply(kind, *v)
		return &m, nil
	}
	return nil, fmt.Errorf("privacy: @mask on a %T field", res)
}

// revealOrMask handles a field asked for with @reveal.
func (s *Service) revealOrMask(ctx context.Context, obj, res any, kind mask.Kind, reveal *ast.Directive) any {
	fc := graphql.GetFieldContext(ctx)
	reason := ""
	if a := reveal.Arguments.ForName("reason"); a != nil && a.Value != nil {
		if r, err := a.Value.Value(graphql.GetOperationContext(ctx).Variables); err == nil {
			reason, _ = r.(string)
		}
	}
	if err := s.reveal(ctx, obj, fc.Object+"."+fc.Field.Name, strings.TrimSpace(reason), kind, res); err != nil {
		graphql.AddError(ctx, err)
		if kind == mask.KindSecret {
			return nil // a refused secret: no value, not even its masked form
		}
		masked, merr := maskValue(res, kind)
		if merr != nil {
			graphql.AddError(ctx, merr)
			return nil
		}
		return masked
	}
	return res
}

// reveal decides whether the viewer may see value (the field's plain
// value) and audits the reveal; an erased value (a nil pointer) is decided
// on alike but not recorded, as nothing is revealed.
func (s *Service) reveal(ctx context.Context, obj any, field, reason string, kind mask.Kind, value any) error {
	v, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	o, ok := obj.(Owned)
	if !ok {
		return fmt.Errorf("privacy: @mask on %T, which has no owner", obj)
	}
	if p, ok := obj.(Processor); ok {
		if why, ok := p.MayReveal(v.UserID, field); ok {
			return s.recordReveal(ctx, v, o.OwnerID(), field, why, value)
		}
	}
	switch {
	case v.Role == user.RoleSTAFF && v.UserID != o.OwnerID() && !kind.StaffMayReveal():
		return apperr.Forbidden("%s is for the parties to it only: staff may not reveal it", field)
	case v.Role == user.RoleSTAFF && v.UserID != o.OwnerID():
		if n := utf8.RuneCountInString(reason); n < MinReasonLength || n > MaxReasonLength {
			return apperr.BadInput("staff must state a reason of %d to %d characters to reveal %s",
				MinReasonLength, MaxReasonLength, field).With("field", "reason")
		}
	case v.UserID == o.OwnerID():
		if !v.CanReveal(s.now()) {
			return apperr.New(apperr.CodeVerificationRequired,
				"verify with an SMS code (requestRevealCode, verifyReveal) to reveal your own data")
		}
		if reason == "" {
			reason = "owner"
		}
	default:
		return apperr.Forbidden("only the owner and staff may reveal %s", field)
	}
	return s.recordReveal(ctx, v, o.OwnerID(), field, reason, value)
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

// Gate is the P1 rule, for every root field of queries and mutations in one
// place: while a major policy version is in force that the viewer has not
// accepted, only fields marked @policyExempt run. Subscriptions have their
// own (GateSubscription): gqlgen does not run this for them.
func (s *Service) Gate(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	v := auth.FromContext(ctx)
	fc := graphql.GetRootFieldContext(ctx)
	if v == nil || fc == nil || strings.HasPrefix(fc.Field.Name, "__") || policyExempt(fc.Field.Definition) {
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

package auth

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Viewer is the signed-in user a request acts for.
type Viewer struct {
	UserID            int
	Role              user.Role
	SessionID         int
	AcceptedPolicySeq int        // newest privacy policy version accepted
	RevealUntil       *time.Time // fresh verification window (Y2)
	SessionExpires    time.Time  // zero when not loaded by Authenticate
	// Consented lists the purposes the user consented to, read with the
	// session; nil when the viewer was not loaded by Authenticate.
	Consented []string
	tokenHash []byte
}

type ctxKey struct{}

// NewContext attaches the viewer to ctx.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer, or nil for an anonymous request.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// Require returns the viewer or UNAUTHENTICATED.
func Require(ctx context.Context) (*Viewer, error) {
	if v := FromContext(ctx); v != nil {
		return v, nil
	}
	return nil, apperr.Unauthenticated()
}

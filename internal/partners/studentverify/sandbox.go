package studentverify

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// Sandbox is the development provider: it reaches no service and decides
// by the CHSI code alone. A code starting with "TEST" (e.g. "TESTOK1234AB")
// is verified, one starting with "NOPE" is NOT_ENROLLED, any other is
// CODE_INVALID. Codes are upper-cased first, so "testok1234ab" is verified
// too. Requests are checked as a real provider checks them.
type Sandbox struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	seq atomic.Uint64
}

// NewSandbox returns a sandbox provider.
func NewSandbox() *Sandbox { return &Sandbox{} }

// Name is "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

// Verify decides by r.CHSICode. A verified student is enrolled until 31 July
// of next year (China time); Ref is "sandbox-" and a per-provider sequence
// number, derived from no personal data.
func (s *Sandbox) Verify(ctx context.Context, r Request) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	r = Normalize(r)
	if err := Check(r, t); err != nil {
		return nil, err
	}
	res := &Result{Ref: fmt.Sprintf("sandbox-%06d", s.seq.Add(1))}
	switch {
	case strings.HasPrefix(r.CHSICode, "TEST"):
		until := time.Date(t.In(chinatime.Zone).Year()+1, time.July, 31, 0, 0, 0, 0, time.UTC)
		res.Verified, res.EnrolledUntil = true, &until
	case strings.HasPrefix(r.CHSICode, "NOPE"):
		res.Reason = ReasonNotEnrolled
	default:
		res.Reason = ReasonCodeInvalid
	}
	return res, nil
}

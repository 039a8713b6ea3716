package partnertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Subject is a partner package's HTTP client under ClientTests.
type Subject struct {
	// Fake starts the package's fake party: it checks each request as the
	// party would, then answers with respond.
	Fake func(t *testing.T, respond Respond) *Server
	// Reply answers as the party does (signed, where it signs).
	Reply func(status int, body string) Respond
	// ErrorBody is the party's error body of code and message.
	ErrorBody func(code, message string) string
	// Call makes one call of the package's client on base, configured as
	// the test says (edit), and returns its error.
	Call func(ctx context.Context, t *testing.T, base string, edit func(*partner.Config)) error
}

// ClientTests proves what every partner client owes, whatever its wire
// format: a redirect is not followed (even by a client whose policy
// would), a 3xx or 4xx is a *partner.Error tried once, the caller's
// deadline ends the retries and keeps the last answer, and a call whose
// context has ended sends nothing.
func ClientTests(t *testing.T, s Subject) {
	t.Run("RedirectIsNotFollowed", func(t *testing.T) {
		redirect, reached := RedirectElsewhere(t)
		f := s.Fake(t, redirect)
		err := s.Call(context.Background(), t, f.URL, func(c *partner.Config) { c.Client = &http.Client{} })
		_ = Refusal(t, err, http.StatusTemporaryRedirect, "")
		if reached() != 0 || f.Count() != 1 {
			t.Fatalf("the redirect was followed (%d) or retried (%d)", reached(), f.Count())
		}
	})
	t.Run("4xxAreNotRetried", func(t *testing.T) {
		for _, status := range []int{400, 401, 403, 404, 409, 413, 422, 429} {
			f := s.Fake(t, s.Reply(status, s.ErrorBody("NOPE", "no")))
			err := s.Call(context.Background(), t, f.URL, nil)
			if pe := Refusal(t, err, status, "NOPE"); pe.Message != "no" || !partner.Refused(err) || !partner.HasCode(err, "NOPE") {
				t.Fatalf("HTTP %d: %+v", status, pe)
			}
			if errors.Is(err, partner.ErrGaveUp) || errors.Is(err, partner.ErrBadResponse) {
				t.Fatalf("HTTP %d: %v is neither unavailability nor a bad response", status, err)
			}
			if n := f.Count(); n != 1 {
				t.Fatalf("HTTP %d: %d attempts; a 4xx must not be retried", status, n)
			}
		}
	})
	t.Run("CallerDeadlineStopsRetries", func(t *testing.T) {
		f := s.Fake(t, s.Reply(503, `{}`))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := s.Call(ctx, t, f.URL, func(c *partner.Config) { c.Retries, c.Backoff = 5, 10*time.Second })
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
			t.Fatalf("%v after %v; want the caller's deadline, promptly", err, time.Since(start))
		}
		_ = Refusal(t, err, 503, "") // the last failure is kept
		if n := f.Count(); n != 1 {
			t.Fatalf("%d attempts", n)
		}
	})
	t.Run("CancelledBeforeTheCall", func(t *testing.T) {
		f := s.Fake(t, s.Reply(200, `{}`))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Call(ctx, t, f.URL, nil)
		if !errors.Is(err, context.Canceled) || errors.Is(err, partner.ErrGaveUp) {
			t.Fatalf("%v; want context.Canceled", err)
		}
		if n := f.Count(); n != 0 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("5xxUntilRetriesRunOut", func(t *testing.T) {
		f := s.Fake(t, s.Reply(503, s.ErrorBody("SYSTEM_ERROR", "maintenance")))
		err := s.Call(context.Background(), t, f.URL, func(c *partner.Config) { c.Retries = 3 })
		if !errors.Is(err, partner.ErrGaveUp) || !ErrHas(err, "attempt 4 of 4") {
			t.Fatalf("%v; want ErrGaveUp after the 4th attempt", err)
		}
		if pe := Refusal(t, err, 503, "SYSTEM_ERROR"); pe.Message != "maintenance" || partner.Refused(err) {
			t.Fatalf("%+v", pe)
		}
		if n := f.Count(); n != 4 {
			t.Fatalf("%d attempts; want Retries+1 = 4", n)
		}
	})
}

// ErrHas reports whether err's text holds s.
func ErrHas(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}

package partner_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
)

// signer signs nothing and calls an answer unsigned unless it carries
// X-Sig: "ok" verifies, anything else does not.
type signer struct{}

func (signer) Sign(r *http.Request, _ []byte, _ time.Time) { r.Header.Set("X-Signed", "1") }

func (signer) Verify(_ int, h http.Header, _ []byte, _ time.Time) error {
	switch h.Get("X-Sig") {
	case "":
		return partner.ErrUnsigned
	case "ok":
		return nil
	}
	return partner.ErrBadResponse
}

func client(t *testing.T, base string) *partner.Client {
	t.Helper()
	c, err := partner.New(partner.Config{Name: "fake", BaseURL: base, AppID: "app", Secret: "top-secret", Backoff: time.Millisecond, Retries: 1},
		partner.Protocol{Partner: "fake party", MaxAnswerBytes: 64, Signer: signer{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signed(status int, body string) partnertest.Respond {
	return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("X-Sig", "ok")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// TestClientTrustsOnlyVerifiedAnswers: a 200 must verify; a signed error
// answer must verify and its body is read, scrubbed of the call's personal
// data; an unsigned one (a gateway's) counts by its status alone.
func TestClientTrustsOnlyVerifiedAnswers(t *testing.T) {
	call := partner.Call{Op: "look up", Method: http.MethodGet, Target: "/x", Personal: []string{"李华"}}
	for name, tc := range map[string]struct {
		respond partnertest.Respond
		check   func(data []byte, err error) bool
		tries   int
	}{
		"signed 200": {signed(200, `{"ok":1}`), func(d []byte, err error) bool { return err == nil && string(d) == `{"ok":1}` }, 1},
		"unsigned 200": {partnertest.Reply(200, `{}`), func(_ []byte, err error) bool {
			return errors.Is(err, partner.ErrUnsigned) && !errors.Is(err, partner.ErrGaveUp)
		}, 1},
		"long 200": {signed(200, strings.Repeat(" ", 65)), func(_ []byte, err error) bool { return errors.Is(err, partner.ErrBadResponse) }, 1},
		"signed 400": {signed(400, `{"error":{"code":"BAD","message":"李华 refused"}}`), func(_ []byte, err error) bool {
			e, ok := partner.AsError(err)
			return ok && *e == partner.Error{Partner: "fake party", Status: 400, Code: "BAD", Message: "*** refused"} &&
				err.Error() == "fake party fake: look up: fake party answered HTTP 400 BAD: *** refused"
		}, 1},
		"unsigned 400": {partnertest.Reply(400, `{"error":{"code":"FORGED","message":"x"}}`), func(_ []byte, err error) bool {
			e, ok := partner.AsError(err)
			return ok && e.Code == "" && e.Message == "" && partner.Refused(err)
		}, 1},
		"unsigned 502": {partnertest.Reply(502, `<html/>`), func(_ []byte, err error) bool {
			e, ok := partner.AsError(err)
			return errors.Is(err, partner.ErrGaveUp) && ok && e.Retryable && e.Code == "" && !partner.Refused(err)
		}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			f := partnertest.New(t, partnertest.Options{Check: func(r *http.Request, _ []byte) string {
				if r.Header.Get("X-Signed") != "1" || r.Header.Get("Accept") != "application/json" {
					return "not signed"
				}
				return ""
			}}, tc.respond)
			data, err := client(t, f.URL).Do(context.Background(), call)
			if !tc.check(data, err) || f.Count() != tc.tries {
				t.Fatalf("Do = %q, %v after %d attempts", data, err, f.Count())
			}
		})
	}
}

func TestNewSaysWhatIsWrong(t *testing.T) {
	ok := partner.Config{Name: "n", BaseURL: "https://p.example.com", AppID: "a", Secret: "top-secret"}
	p := partner.Protocol{Partner: "bank", MaxAnswerBytes: 1, Signer: signer{}}
	for want, edit := range map[string]func(*partner.Config){
		"bank: BaseURL must be https":        func(c *partner.Config) { c.BaseURL = "http://p.example.com" },
		"bank: AppID must be non-empty":      func(c *partner.Config) { c.AppID = "" },
		"bank: Secret is empty":              func(c *partner.Config) { c.Secret = "" },
		"bank: Name must name the party":     func(c *partner.Config) { c.Name = "" },
		"bank: Timeout, Retries and Backoff": func(c *partner.Config) { c.Retries = -1 },
	} {
		cfg := ok
		edit(&cfg)
		if _, err := partner.New(cfg, p); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("New = %v; want %q…", err, want)
		}
	}
	if _, err := partner.New(ok, partner.Protocol{Partner: "bank"}); err == nil {
		t.Error("New accepted a protocol without a signer")
	}
	c, err := partner.New(ok, p)
	if err != nil || c.Name() != "n" {
		t.Fatalf("New = %v, %v", c, err)
	}
}

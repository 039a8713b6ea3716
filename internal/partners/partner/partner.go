// Package partner holds what every client of an outside party (payment
// provider, verification service, partner bank) shares: Client, which owns
// the configuration (Config, checked once), the signing hook (Signer: each
// party's scheme stays in its package), retries with jittered backoff,
// the reading and scrubbing of error answers, and Error, the one error of a
// party's refusal. Each partner package keeps only its wire format (paths,
// JSON, signature algorithm) and its sandbox. Also the rule for a party's
// base URL and an HTTP client that never follows a redirect.
package partner

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// BaseURL checks a party's base URL and returns it without a trailing
// slash. It must be absolute https: signatures authenticate a request but
// do not hide it, and what we send is personal data. Plain http is allowed
// only for a loopback host (tests, a local fake). No user information,
// query or fragment.
func BaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", errors.New("BaseURL must be an absolute https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", errors.New("BaseURL must have no user information, query or fragment")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	case u.Scheme == "http":
		return "", errors.New("BaseURL must be https (http only for loopback hosts)")
	default:
		return "", errors.New("BaseURL must be an absolute https URL")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// NoRedirects returns a copy of c (a new client when nil) that does not follow
// redirects: a redirect would resend signed personal data to a host the
// configuration did not name. The copy leaves the caller's client as it was.
func NoRedirects(c *http.Client) *http.Client {
	cl := &http.Client{}
	if c != nil {
		*cl = *c
	}
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return cl
}

// ValidAppID reports whether id is non-empty printable ASCII without
// spaces, as the parties' signature headers require.
func ValidAppID(id string) bool {
	return id != "" && strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) < 0
}

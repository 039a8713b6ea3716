package partner

import (
	"errors"
	"strconv"
)

// Error is a non-200 answer of a party (3xx included: redirects are not
// followed); every partner package reports its party's refusals with it.
// Code and Message come from the party's error body with anything that
// looks like personal data replaced by "***" (Scrub); both are empty when
// the body was not the party's (an unsigned gateway page, a proxy's HTML).
type Error struct {
	Partner string // what the party is: "bank", "payment provider", …
	Status  int    // the HTTP status
	Code    string // the party's error code, e.g. "ORDER_PAID"
	Message string
	// Retryable reports whether the same request may succeed later: only
	// server errors (5xx) may; a 3xx or 4xx refuses the request itself.
	Retryable bool
}

func (e *Error) Error() string {
	s := e.Partner + " answered HTTP " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// AsError finds the party's answer in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HasCode reports whether err is a party's answer with code.
func HasCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// Refused reports whether err is a party's answer that retrying will not
// change (a 3xx or 4xx): the request itself was refused.
func Refused(err error) bool {
	e, ok := AsError(err)
	return ok && !e.Retryable
}

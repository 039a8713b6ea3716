// Package payment talks to the third-party payment provider: it asks the
// provider to open a payment for an order and authenticates the provider's
// result callbacks. HTTPClient speaks to the real provider; Sandbox is the
// development provider, which needs no network and signs its callbacks with
// the same code the real provider's callbacks are verified with.
//
// Privacy (purpose SHARE_PAYMENT in internal/infra/pii): the provider receives the
// order number, the amount, a goods summary and the notify URL, nothing else.
// Request has no field for anything else and the wire body is built from a
// Request alone, so a buyer's name, phone or address cannot reach the
// provider through this package.
package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Request is what the provider needs to open a payment.
type Request struct {
	OrderNo     string // the platform's order number, e.g. "TX20261129xxxxxxxx"
	AmountFen   int64  // amount in fen (1/100 yuan), > 0
	Description string // goods summary, no personal data, <= 128 bytes
	NotifyURL   string // where the provider POSTs the result
}

// Limits of Request, those of the WeChat Pay v3 API the protocol follows.
const (
	MaxDescriptionBytes = 128
	MaxNotifyURLBytes   = 256
)

// Intent is an opened payment.
type Intent struct {
	Provider    string
	ProviderRef string // the provider's prepay id
	PayURL      string // what the app opens to pay
}

// Status is the outcome a callback reports.
type Status string

const (
	StatusPaid   Status = "PAID"
	StatusFailed Status = "FAILED"
	StatusClosed Status = "CLOSED" // the provider closed the payment unpaid (e.g. expired)
)

// Callback is an authenticated result notification. The caller still has to
// check OrderNo and AmountFen against its own order, and must process each
// EventID once: a valid callback may be delivered (or replayed) again within
// MaxSkew, and providers redeliver until they get a 2xx.
type Callback struct {
	Provider    string
	EventID     string // the provider's notification id: the idempotency key
	Nonce       string
	OrderNo     string
	ProviderRef string // the provider's transaction id; may differ from Intent.ProviderRef, so match on OrderNo
	AmountFen   int64
	Status      Status
	PaidAt      time.Time // zero unless Status is StatusPaid
	Timestamp   time.Time // when the provider signed the callback
}

// Provider is a payment provider.
type Provider interface {
	Name() string
	// CreatePayment opens a payment for r. Calling it again for the same
	// OrderNo is safe: the provider answers with the same payment.
	CreatePayment(ctx context.Context, r Request) (*Intent, error)
	// VerifyCallback authenticates a callback request: signature (HMAC-SHA256
	// over timestamp, nonce and body), timestamp within MaxSkew of now (stale
	// and future ones refused), well-formed body. Replay of an already
	// processed EventID/Nonce is detected by the caller's store (it must be
	// idempotent), not here.
	VerifyCallback(header http.Header, body []byte, now time.Time) (*Callback, error)
}

// MaxSkew is how far a callback's timestamp may be from now, either way.
const MaxSkew = 5 * time.Minute

// Errors of VerifyCallback, distinct so the endpoint can answer 401 or 400
// (see HTTPStatus). Their messages never repeat the body.
var (
	ErrBadSignature = errors.New("payment: callback signature missing or invalid")
	ErrStale        = errors.New("payment: callback timestamp outside the allowed skew")
	ErrMalformed    = errors.New("payment: malformed callback")
)

// ErrInvalidRequest is returned, wrapped, for a Request that must not be
// sent; nothing reaches the provider then.
var ErrInvalidRequest = errors.New("payment: invalid request")

// ErrBadResponse is returned, wrapped, when the provider answers 200 with a
// body that is not a usable payment. It is not retried: the provider did
// answer, and retrying would not change its answer.
var ErrBadResponse = partner.ErrBadResponse

// HTTPStatus is the status a callback endpoint answers for the error of
// VerifyCallback: 200 for nil, 401 for an unauthenticated or stale callback,
// 400 for a malformed one, 500 otherwise.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadSignature), errors.Is(err, ErrStale):
		return http.StatusUnauthorized
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// Error codes the provider answers with (partner.Error.Code of its
// refusals, a non-200 answer).
const (
	CodeParamError  = "PARAM_ERROR"
	CodeSignError   = "SIGN_ERROR"
	CodeOrderPaid   = "ORDER_PAID" // already paid: settle the order, do not retry
	CodeSystemError = "SYSTEM_ERROR"
)

// Validate reports why r must not be sent. Its messages never repeat the
// values, which could be what the check refuses.
func (r Request) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
	}
	if !validOrderNo(r.OrderNo) {
		return bad("order number must be 6 to 32 letters, digits, '-' or '_'")
	}
	if r.AmountFen <= 0 {
		return bad("amount must be positive")
	}
	d := r.Description
	switch {
	case strings.TrimSpace(d) == "":
		return bad("description is empty")
	case len(d) > MaxDescriptionBytes:
		return bad("description is longer than %d bytes", MaxDescriptionBytes)
	case !utf8.ValidString(d) || strings.ContainsFunc(d, unicode.IsControl):
		return bad("description must be printable UTF-8")
	case looksPersonal(d):
		return bad("description looks like it holds a phone, ID or card number")
	}
	if len(r.NotifyURL) > MaxNotifyURLBytes {
		return bad("notify URL is longer than %d bytes", MaxNotifyURLBytes)
	}
	u, err := url.Parse(r.NotifyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		// User info would hand a credential to the provider.
		return bad("notify URL must be an absolute http(s) URL without user info or fragment")
	}
	return nil
}

// validOrderNo keeps order numbers to the characters providers accept; the
// number is also the Idempotency-Key header, so no header syntax gets in.
func validOrderNo(s string) bool {
	if len(s) < 6 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// looksPersonal reports whether s holds a run of digits shaped like a
// mainland mobile number (11 digits, 1 then 3-9) or an ID or bank card
// number (15 digits or more). A goods summary has no reason to carry either,
// while prices, quantities and ISBNs (13 digits) pass. It is a guard against
// a careless caller, not a guarantee: the guarantee is that Request has no
// field for the buyer.
func looksPersonal(s string) bool {
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			run := s[start:i]
			if len(run) >= 15 || len(run) == 11 && run[0] == '1' && run[1] >= '3' {
				return true
			}
			start = -1
		}
	}
	return false
}

var (
	_ Provider = (*HTTPClient)(nil)
	_ Provider = (*Sandbox)(nil)
)

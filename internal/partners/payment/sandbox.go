package payment

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Sandbox is the development provider. CreatePayment needs no network, and
// SignedCallback produces the callback the real provider would send, signed
// by the same code, so "paying" in the playground goes through the same
// VerifyCallback and callback handling as production.
type Sandbox struct {
	name    string
	signer  signer
	baseURL string
}

// NewSandbox builds the sandbox; pay URLs are baseURL + "/" + prepay id. It
// panics on an empty secret, with which anyone could forge callbacks: the
// development wiring always has one, so an empty one is a programming error.
func NewSandbox(name string, secret []byte, baseURL string) *Sandbox {
	s, err := newSigner(secret)
	if err != nil {
		panic(err)
	}
	return &Sandbox{name: name, signer: s, baseURL: strings.TrimRight(baseURL, "/")}
}

// Name returns the configured name.
func (s *Sandbox) Name() string { return s.name }

// CreatePayment validates r as the real provider's client does and opens a
// pretend payment. The prepay id is derived from the order number, so asking
// again for the same order gives the same payment, as the real provider's
// idempotency does.
func (s *Sandbox) CreatePayment(ctx context.Context, r Request) (*Intent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, s.signer.secret)
	m.Write([]byte("sandbox prepay\n" + r.OrderNo))
	ref := "sbx_" + hex.EncodeToString(m.Sum(nil)[:12])
	return &Intent{Provider: s.name, ProviderRef: ref, PayURL: s.baseURL + "/" + ref}, nil
}

// SignedCallback is the callback the provider would POST for a payment:
// a fresh event id and nonce, paid_at = now for StatusPaid, signed at now.
// A status other than the three known ones is sent as it is, which
// VerifyCallback refuses; tests use that.
func (s *Sandbox) SignedCallback(orderNo, providerRef string, amountFen int64, status Status, now time.Time) (header http.Header, body []byte) {
	b := callbackBody{
		EventID:       "sbx_evt_" + rand.Text(),
		OutTradeNo:    orderNo,
		TransactionID: providerRef,
		AmountFen:     amountFen,
		Status:        toWire[status],
	}
	if b.Status == "" {
		b.Status = string(status)
	}
	if status == StatusPaid {
		b.PaidAt = now.UTC().Format(time.RFC3339)
	}
	body, err := json.Marshal(b)
	if err != nil {
		panic(err) // strings and an integer always marshal
	}
	header = http.Header{"Content-Type": {"application/json"}}
	s.signer.sign(header, body, now)
	return header, body
}

// VerifyCallback authenticates a callback; the same code as HTTPProvider's.
func (s *Sandbox) VerifyCallback(header http.Header, body []byte, now time.Time) (*Callback, error) {
	return verifyCallback(s.name, s.signer, header, body, now)
}

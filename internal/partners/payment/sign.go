package payment

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers of the protocol. Requests to the provider and its callbacks carry
// the same three signature headers.
const (
	HeaderMchid          = "X-Pay-Mchid"
	HeaderTimestamp      = "X-Pay-Timestamp" // unix seconds
	HeaderNonce          = "X-Pay-Nonce"
	HeaderSignature      = "X-Pay-Signature" // lowercase hex HMAC-SHA256
	HeaderIdempotencyKey = "Idempotency-Key"
)

// MaxCallbackBytes bounds a callback body; the endpoint should read it
// through http.MaxBytesReader with this limit. Longer bodies are refused.
const MaxCallbackBytes = 64 << 10

// Bounds of what the caller stores for replay detection and matching.
const (
	maxNonceBytes = 64
	maxIDBytes    = 128 // event_id, out_trade_no, transaction_id
)

// signer is the one implementation of the signature, shared by both
// providers and by the sandbox's callbacks, so what the sandbox signs is
// verified exactly as the real provider's callbacks are.
type signer struct{ secret []byte }

func newSigner(secret []byte) (signer, error) {
	if len(secret) == 0 {
		// An empty key would let anyone forge callbacks.
		return signer{}, errors.New("payment: empty secret")
	}
	return signer{secret: append([]byte(nil), secret...)}, nil
}

// mac is HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body + "\n").
func (s signer) mac(timestamp, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(timestamp + "\n" + nonce + "\n"))
	m.Write(body)
	m.Write([]byte("\n"))
	return m.Sum(nil)
}

// sign sets the timestamp, a fresh nonce and the signature of body on h.
func (s signer) sign(h http.Header, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := rand.Text()
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, hex.EncodeToString(s.mac(ts, nonce, body)))
}

// verify authenticates h and body and returns the signed timestamp and
// nonce. The signature is checked before anything signed is interpreted.
func (s signer) verify(h http.Header, body []byte, now time.Time) (time.Time, string, error) {
	var v [3]string
	for i, k := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature} {
		// Exactly one value: with two, which one was signed would be a guess.
		vs := h.Values(k)
		if len(vs) != 1 || vs[0] == "" {
			return time.Time{}, "", fmt.Errorf("%w: need one %s header", ErrBadSignature, k)
		}
		v[i] = vs[0]
	}
	ts, nonce, sig := v[0], v[1], v[2]
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(ts, nonce, body)) { // constant time
		return time.Time{}, "", ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: timestamp is not unix seconds", ErrMalformed)
	}
	if len(nonce) > maxNonceBytes {
		return time.Time{}, "", fmt.Errorf("%w: nonce longer than %d bytes", ErrMalformed, maxNonceBytes)
	}
	// Compare in seconds: time.Unix of a huge value would overflow Duration.
	if d := now.Unix() - sec; d > int64(MaxSkew/time.Second) || d < -int64(MaxSkew/time.Second) {
		return time.Time{}, "", ErrStale
	}
	return time.Unix(sec, 0).UTC(), nonce, nil
}

// callbackBody is the provider's callback JSON.
type callbackBody struct {
	EventID       string `json:"event_id"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	AmountFen     int64  `json:"amount_fen"`
	Status        string `json:"status"`
	PaidAt        string `json:"paid_at,omitempty"` // RFC 3339; required for SUCCESS
}

// The provider's statuses and ours.
var (
	fromWire = map[string]Status{"SUCCESS": StatusPaid, "FAIL": StatusFailed, "CLOSED": StatusClosed}
	toWire   = map[Status]string{StatusPaid: "SUCCESS", StatusFailed: "FAIL", StatusClosed: "CLOSED"}
)

// verifyCallback is VerifyCallback for both providers.
func verifyCallback(provider string, s signer, h http.Header, body []byte, now time.Time) (*Callback, error) {
	if len(body) > MaxCallbackBytes {
		return nil, fmt.Errorf("%w: body longer than %d bytes", ErrMalformed, MaxCallbackBytes)
	}
	ts, nonce, err := s.verify(h, body, now)
	if err != nil {
		return nil, err
	}
	var b callbackBody
	if err := json.Unmarshal(body, &b); err != nil {
		// Not %w: the JSON error may quote the body.
		return nil, fmt.Errorf("%w: body is not the callback JSON", ErrMalformed)
	}
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }
	status, ok := fromWire[b.Status]
	switch {
	case b.EventID == "":
		return nil, bad("no event_id")
	case b.OutTradeNo == "":
		return nil, bad("no out_trade_no")
	case b.TransactionID == "":
		return nil, bad("no transaction_id")
	case b.AmountFen <= 0:
		return nil, bad("amount_fen must be positive")
	case !ok:
		return nil, bad("unknown status")
	case len(b.EventID) > maxIDBytes || len(b.OutTradeNo) > maxIDBytes || len(b.TransactionID) > maxIDBytes:
		return nil, bad("an id is longer than 128 bytes")
	}
	cb := &Callback{
		Provider:    provider,
		EventID:     b.EventID,
		Nonce:       nonce,
		OrderNo:     b.OutTradeNo,
		ProviderRef: b.TransactionID,
		AmountFen:   b.AmountFen,
		Status:      status,
		Timestamp:   ts,
	}
	if status == StatusPaid {
		if cb.PaidAt, err = time.Parse(time.RFC3339, b.PaidAt); err != nil {
			return nil, bad("paid_at must be an RFC 3339 time")
		}
	}
	return cb, nil
}

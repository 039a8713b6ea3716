package bank

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Headers of the protocol.
const (
	HeaderAppID          = "X-Bank-App-Id"
	HeaderTimestamp      = "X-Bank-Timestamp" // unix seconds
	HeaderNonce          = "X-Bank-Nonce"
	HeaderSignature      = "X-Bank-Signature" // lowercase hex HMAC-SHA256
	HeaderIdempotencyKey = "Idempotency-Key"
)

// MaxSkew is how far a response's signed timestamp may be from the
// client's clock, either way.
const MaxSkew = 5 * time.Minute

const maxNonceBytes = 64

// RequestSignature is the X-Bank-Signature of a request: lowercase hex
// HMAC-SHA256(secret, method+"\n"+target+"\n"+timestamp+"\n"+nonce+"\n"+hex(SHA-256(body))),
// target being the request target as sent: the escaped path, with "?" and
// the raw query when there is one. An empty body hashes as SHA-256("").
func RequestSignature(secret []byte, method, target, timestamp, nonce string, body []byte) string {
	return hex.EncodeToString(mac(secret, method+"\n"+target+"\n"+timestamp+"\n"+nonce+"\n", body))
}

// ResponseSignature is the X-Bank-Signature of a response: lowercase hex
// HMAC-SHA256(secret, status+"\n"+timestamp+"\n"+nonce+"\n"+hex(SHA-256(body))),
// status being the decimal HTTP status and timestamp and nonce the
// response's own X-Bank-Timestamp and X-Bank-Nonce.
func ResponseSignature(secret []byte, status int, timestamp, nonce string, body []byte) string {
	return hex.EncodeToString(mac(secret, strconv.Itoa(status)+"\n"+timestamp+"\n"+nonce+"\n", body))
}

func mac(secret []byte, prefix string, body []byte) []byte {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(prefix))
	m.Write([]byte(hex.EncodeToString(sum[:])))
	return m.Sum(nil)
}

// signer is the bank's partner.Signer.
type signer struct {
	appID  string
	secret []byte
}

// Sign sets the app id, a timestamp, a fresh nonce and the signature on
// req. Called per attempt: a retry gets a new timestamp and nonce, as the
// bank's replay checks require.
func (s signer) Sign(req *http.Request, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := rand.Text()
	req.Header.Set(HeaderAppID, s.appID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, RequestSignature(s.secret, req.Method, req.URL.RequestURI(), ts, nonce, body))
}

// Verify is verifyResponse. An answer without any signature header may
// come from a gateway in front of the bank (partner.ErrUnsigned).
func (s signer) Verify(status int, h http.Header, body []byte, now time.Time) error {
	if len(h.Values(HeaderSignature)) == 0 {
		return fmt.Errorf("%w: %w", ErrBadResponse, partner.ErrUnsigned)
	}
	return verifyResponse(s.secret, status, h, body, now)
}

// verifyResponse authenticates a response before anything in it is read:
// exactly one timestamp, nonce and signature header, a signature that
// matches (compared in constant time), and a timestamp within MaxSkew of
// now. Its errors wrap ErrBadResponse and say what is wrong, never what the
// answer held.
func verifyResponse(secret []byte, status int, h http.Header, body []byte, now time.Time) error {
	var v [3]string
	for i, k := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature} {
		// Exactly one value: with two, which one was signed would be a guess.
		vs := h.Values(k)
		if len(vs) != 1 || vs[0] == "" {
			return fmt.Errorf("%w: need exactly one %s header", ErrBadResponse, k)
		}
		v[i] = vs[0]
	}
	ts, nonce, sig := v[0], v[1], v[2]
	got, err := hex.DecodeString(sig)
	want := mac(secret, strconv.Itoa(status)+"\n"+ts+"\n"+nonce+"\n", body)
	if err != nil || !hmac.Equal(got, want) {
		return fmt.Errorf("%w: the response signature does not match", ErrBadResponse)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: the response timestamp is not unix seconds", ErrBadResponse)
	}
	if len(nonce) > maxNonceBytes {
		return fmt.Errorf("%w: the response nonce is longer than %d bytes", ErrBadResponse, maxNonceBytes)
	}
	// Compare in seconds: time.Unix of a huge value would overflow Duration.
	if d := now.Unix() - sec; d > int64(MaxSkew/time.Second) || d < -int64(MaxSkew/time.Second) {
		return fmt.Errorf("%w: the response timestamp is more than %v away", ErrBadResponse, MaxSkew)
	}
	return nil
}

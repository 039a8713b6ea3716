package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Verifier checks payloads against the public keys it knows by key id. It
// is safe for concurrent use.
type Verifier struct {
	keys    map[string]ed25519.PublicKey
	revoked func(number string) bool
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithRevoked makes Verify refuse, with ErrRevoked, a payload whose card
// number revoked reports: a merchant offline checks the platform's
// published revocation list this way. revoked must be safe for concurrent
// use. Online, the caller checks its database after Verify instead.
func WithRevoked(revoked func(number string) bool) Option {
	return func(v *Verifier) { v.revoked = revoked }
}

// NewVerifier returns a verifier accepting payloads signed by any of keys
// (key id -> public key): keep the previous key while payloads it signed
// may still be valid. It copies keys, and refuses an empty map, a malformed
// key id and a key that is not 32 bytes (ed25519.Verify would panic on it),
// which is why it returns an error.
func NewVerifier(keys map[string]ed25519.PublicKey, opts ...Option) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, errors.New("credential: a verifier needs at least one key")
	}
	v := &Verifier{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for id, k := range keys {
		if !validKeyID(id) {
			return nil, errors.New("credential: the key id must be 1 to 32 of A-Z a-z 0-9 . _ -")
		}
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("credential: key %q is not an Ed25519 public key", id)
		}
		v.keys[id] = append(ed25519.PublicKey(nil), k...)
	}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// errTooLong is prebuilt so that refusing oversized input costs nothing.
var errTooLong = fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxPayloadLen)

// Verify checks a payload at time now and returns its claims. It checks,
// in order, and stops at the first failure:
//
//   - the size (at most MaxPayloadLen bytes), characters, prefix, the three
//     parts, their base64 and the canonical JSON of the claims and their
//     values: ErrMalformed;
//   - that the key id is known: ErrUnknownKey;
//   - the signature: ErrBadSignature;
//   - now ≥ NotBefore-ClockSkew: ErrNotYetValid;
//   - now < Expires+ClockSkew: ErrExpired;
//   - now < GraduationCutoff(GradYear): ErrGraduated;
//   - the revocation list, when given: ErrRevoked.
//
// The claims are returned only when all pass.
func (v *Verifier) Verify(payload string, now time.Time) (*Claims, error) {
	if len(payload) > MaxPayloadLen {
		return nil, errTooLong
	}
	w, signed, sig, err := parse(payload)
	if err != nil {
		return nil, err
	}
	key, ok := v.keys[w.Kid]
	if !ok {
		return nil, ErrUnknownKey
	}
	if !ed25519.Verify(key, []byte(signed), sig) {
		return nil, ErrBadSignature
	}
	c := &Claims{
		Number:    w.Num,
		Kind:      w.Kind,
		School:    w.School,
		GradYear:  w.Grad,
		Student:   w.Student,
		NotBefore: time.Unix(w.Nbf, 0).UTC(),
		Expires:   time.Unix(w.Exp, 0).UTC(),
		Version:   w.V,
		KeyID:     w.Kid,
	}
	switch {
	case now.Before(c.NotBefore.Add(-ClockSkew)):
		return nil, ErrNotYetValid
	case !now.Before(c.Expires.Add(ClockSkew)):
		return nil, ErrExpired
	case !now.Before(GraduationCutoff(c.GradYear)):
		return nil, ErrGraduated
	case v.revoked != nil && v.revoked(c.Number):
		return nil, ErrRevoked
	}
	return c, nil
}

// parse splits and decodes a payload of at most MaxPayloadLen bytes. It
// returns the claims, the signed part and the signature.
func parse(payload string) (w wireClaims, signed string, sig []byte, err error) {
	bad := func(reason string) (wireClaims, string, []byte, error) {
		return wireClaims{}, "", nil, fmt.Errorf("%w: %s", ErrMalformed, reason)
	}
	if payload == "" {
		return bad("empty")
	}
	// Only the base64url alphabet and dots: base64 decoding would skip
	// line breaks, which would give one payload several spellings.
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return bad("invalid character")
		}
	}
	rest, ok := strings.CutPrefix(payload, Prefix+".")
	if !ok {
		return bad("unknown format, want " + Prefix)
	}
	body, sigPart, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sigPart, ".") {
		return bad("want three parts separated by dots")
	}
	js, err := b64.DecodeString(body)
	if err != nil || len(js) == 0 {
		return bad("claims are not base64url")
	}
	sig, err = b64.DecodeString(sigPart)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return bad("signature is not 64 bytes of base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return bad("claims are not the expected JSON object")
	}
	// Anything the decoder let through that the signer would not have
	// written (missing, duplicate, reordered or differently cased keys,
	// null, white space, other escapes, trailing data) changes the
	// re-encoding.
	again, err := json.Marshal(w)
	if err != nil || !bytes.Equal(again, js) {
		return bad("claims are not in canonical form")
	}
	if err := w.check(); err != nil {
		return bad(strings.TrimPrefix(err.Error(), ErrInvalidClaims.Error()+": "))
	}
	return w, Prefix + "." + body, sig, nil
}

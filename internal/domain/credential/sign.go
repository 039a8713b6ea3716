package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// b64 is the payload's base64: URL alphabet, no padding, and zero unused
// bits, so that every byte string has exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()

// wireClaims is the JSON of the claims. The order of the fields is the
// order of the keys in the payload; the package documentation lists them.
type wireClaims struct {
	V       int    `json:"v"`
	Kid     string `json:"kid"`
	Num     string `json:"num"`
	Kind    Kind   `json:"kind"`
	School  string `json:"school"`
	Grad    int    `json:"grad"`
	Student bool   `json:"student"`
	Nbf     int64  `json:"nbf"`
	Exp     int64  `json:"exp"`
}

// Signer signs payloads with one Ed25519 key. It is safe for concurrent
// use.
type Signer struct {
	priv   ed25519.PrivateKey
	pub    ed25519.PublicKey
	keyID  string
	pubPEM []byte
}

// NewSigner returns a signer with the Ed25519 key of a 32-byte seed, known
// to verifiers as keyID (1-32 of [A-Za-z0-9._-]). The server derives the
// seed from its index key, one per key id, e.g.
//
//	credential.NewSigner(keys.Index.Secret("credential-signing/"+kid), kid)
//
// so rotating means signing with a new key id while verifiers still accept
// the old one until the payloads it signed have expired.
func NewSigner(seed []byte, keyID string) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("credential: the signing seed must be %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	if !validKeyID(keyID) {
		return nil, errors.New("credential: the key id must be 1 to 32 of A-Z a-z 0-9 . _ -")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	pem, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	return &Signer{priv: priv, pub: pub, keyID: keyID, pubPEM: pem}, nil
}

// PublicKey returns (a copy of) the signer's public key.
func (s *Signer) PublicKey() ed25519.PublicKey { return append(ed25519.PublicKey(nil), s.pub...) }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block (PKIX),
// for a merchant app to embed with the key id.
func (s *Signer) PublicKeyPEM() []byte { return append([]byte(nil), s.pubPEM...) }

// KeyID returns the id verifiers know the key by.
func (s *Signer) KeyID() string { return s.keyID }

// Sign returns the payload of c (see the package documentation). The
// validity window is kept to the second, rounding down. It refuses, with
// ErrInvalidClaims, claims that could never verify: an invalid number,
// kind or school, a graduation year out of range, an empty window, a
// NotBefore at or after the graduation cutoff (also ErrGraduated), or a
// Version or KeyID that is neither zero nor the signer's.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.Version == 0 {
		c.Version = FormatVersion
	}
	if c.KeyID != "" && c.KeyID != s.keyID {
		return "", fmt.Errorf("%w: claims name key %q, the signer is %q", ErrInvalidClaims, c.KeyID, s.keyID)
	}
	if c.NotBefore.IsZero() || c.Expires.IsZero() {
		return "", fmt.Errorf("%w: NotBefore and Expires are required", ErrInvalidClaims)
	}
	w := wireClaims{
		V:       c.Version,
		Kid:     s.keyID,
		Num:     c.Number,
		Kind:    c.Kind,
		School:  c.School,
		Grad:    c.GradYear,
		Student: c.Student,
		Nbf:     c.NotBefore.Unix(),
		Exp:     c.Expires.Unix(),
	}
	if c.GradYear >= MinGradYear && c.GradYear <= MaxGradYear && !c.NotBefore.Before(GraduationCutoff(c.GradYear)) {
		return "", fmt.Errorf("%w: %w", ErrInvalidClaims, ErrGraduated)
	}
	if err := w.check(); err != nil {
		return "", err
	}
	js, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	signed := Prefix + "." + b64.EncodeToString(js)
	sig := ed25519.Sign(s.priv, []byte(signed))
	p := signed + "." + b64.EncodeToString(sig)
	if len(p) > MaxPayloadLen {
		// Unreachable with the limits above; kept so that Sign never makes
		// a payload Verify refuses.
		return "", fmt.Errorf("%w: payload would be %d bytes", ErrInvalidClaims, len(p))
	}
	return p, nil
}

// MarshalPublicKeyPEM encodes an Ed25519 public key as a PEM "PUBLIC KEY"
// block (PKIX, RFC 8410).
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("credential: not an Ed25519 public key")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM reads one PEM "PUBLIC KEY" block (PKIX) holding an
// Ed25519 key, as PublicKeyPEM writes it. Anything but white space around
// the block is refused.
func ParsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("credential: no PEM block found")
	}
	if block.Type != "PUBLIC KEY" || len(block.Headers) != 0 {
		return nil, fmt.Errorf("credential: PEM block is %q, want PUBLIC KEY", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("credential: data after the PEM block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("credential: public key is %T, want Ed25519", key)
	}
	return pub, nil
}

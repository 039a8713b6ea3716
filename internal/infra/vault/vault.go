// Package vault holds the keys that protect personal data at rest: a key ring
// for AES-256-GCM (the first key seals, every key opens, so keys can rotate)
// and an index key for keyed hashes used in exact-match look-ups.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Keyring seals and opens values.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// ParseKeyring reads "k2:<base64>,k1:<base64>"; each key is 32 bytes.
func ParseKeyring(spec string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" || len(id) > 16 {
			return nil, errors.New("vault: each data key must look like id:<base64>")
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("vault: data key %q must be 32 bytes of base64", id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("vault: data key %q appears twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
		if k.primary == "" {
			k.primary = id
		}
	}
	if k.primary == "" {
		return nil, errors.New("vault: no data key")
	}
	return k, nil
}

// PrimaryID names the key new values are sealed with.
func (k *Keyring) PrimaryID() string { return k.primary }

// Seal encrypts plain for one column; aad names the column so a ciphertext
// cannot be moved to another. Layout: len(id) | id | nonce | ciphertext.
func (k *Keyring) Seal(plain []byte, aad string) []byte {
	aead := k.aeads[k.primary]
	out := make([]byte, 0, 1+len(k.primary)+aead.NonceSize()+len(plain)+aead.Overhead())
	out = append(out, byte(len(k.primary)))
	out = append(out, k.primary...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, []byte(aad))
}

// ErrUndecryptable means the value was not sealed by any key of the ring.
var ErrUndecryptable = errors.New("vault: value cannot be opened with the configured keys")

// Open decrypts a value sealed by any key of the ring.
func (k *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	id, rest, err := splitKeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok || len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrUndecryptable
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, rest[:n], rest[n:], []byte(aad))
	if err != nil {
		return nil, ErrUndecryptable
	}
	return plain, nil
}

// KeyID tells which key sealed a value (for rotation).
func KeyID(sealed []byte) (string, error) {
	id, _, err := splitKeyID(sealed)
	return id, err
}

func splitKeyID(sealed []byte) (string, []byte, error) {
	if len(sealed) < 1 || len(sealed) < 1+int(sealed[0]) {
		return "", nil, ErrUndecryptable
	}
	n := int(sealed[0])
	return string(sealed[1 : 1+n]), sealed[1+n:], nil
}

// Index computes keyed hashes (HMAC-SHA256) for exact-match look-ups of
// values stored sealed.
type Index struct{ key []byte }

// ParseIndexKey reads a base64 key of 32 bytes or more.
func ParseIndexKey(b64 string) (*Index, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) < 32 {
		return nil, errors.New("vault: the index key must be at least 32 bytes of base64")
	}
	return &Index{key: raw}, nil
}

// Hash returns the keyed hash of value within a domain ("phone", "ip", ...);
// domains keep equal values of different kinds apart.
func (x *Index) Hash(domain, value string) []byte {
	m := hmac.New(sha256.New, x.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// Secret derives a secret for another purpose (e.g. sealing Relay IDs).
func (x *Index) Secret(label string) []byte {
	return x.Hash("derive", label)
}

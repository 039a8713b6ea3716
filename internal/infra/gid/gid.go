// Package gid seals Relay IDs and pagination cursors. The database uses
// integer keys (one range per type, see ent's sql/globalid feature); a
// client only ever sees them encrypted, so an ID reveals neither how many rows
// a table has nor which row came first, and a forged ID is rejected.
package gid

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Codec encrypts IDs deterministically (one ID, one string: clients can cache
// by ID) and cursors with a random nonce.
type Codec struct {
	block cipher.Block // AES-256 over one 16-byte block per ID
	aead  cipher.AEAD  // AES-256-GCM for cursors
}

// NewCodec derives the codec keys from a secret (the index key).
func NewCodec(secret []byte) (*Codec, error) {
	if len(secret) < 32 {
		return nil, errors.New("gid: secret must be at least 32 bytes")
	}
	idKey := derive(secret, "tongxue/relay-id")
	cursorKey := derive(secret, "tongxue/cursor")
	block, err := aes.NewCipher(idKey)
	if err != nil {
		return nil, err
	}
	cb, err := aes.NewCipher(cursorKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(cb)
	if err != nil {
		return nil, err
	}
	return &Codec{block: block, aead: aead}, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// idMagic fills the second half of the block; decryption checks it, so a
// random or edited string does not decode to some other row.
const idMagic = 0x74_6f_6e_67_78_75_65_31 // "tongxue1"

// EncodeID returns the opaque form of a database ID.
func (c *Codec) EncodeID(id int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	binary.BigEndian.PutUint64(b[8:], idMagic)
	c.block.Encrypt(b[:], b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeID reverses EncodeID.
func (c *Codec) DecodeID(s string) (int, error) {
	raw, ok := canonical(s)
	if !ok || len(raw) != 16 {
		return 0, ErrInvalidID
	}
	c.block.Decrypt(raw, raw)
	if binary.BigEndian.Uint64(raw[8:]) != idMagic {
		return 0, ErrInvalidID
	}
	id := binary.BigEndian.Uint64(raw[:8])
	if id == 0 || id > 1<<62 {
		return 0, ErrInvalidID
	}
	return int(id), nil
}

// Seal encrypts an opaque token (a cursor's inner form).
func (c *Codec) Seal(plain []byte) string {
	nonce := make([]byte, c.aead.NonceSize())
	randRead(nonce)
	out := c.aead.Seal(nonce, nonce, plain, []byte("cursor"))
	return base64.RawURLEncoding.EncodeToString(out)
}

// Open reverses Seal.
func (c *Codec) Open(s string) ([]byte, error) {
	raw, ok := canonical(s)
	n := c.aead.NonceSize()
	if !ok || len(raw) < n+c.aead.Overhead() {
		return nil, ErrInvalidCursor
	}
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte("cursor"))
	if err != nil {
		return nil, ErrInvalidCursor
	}
	return plain, nil
}

// canonical decodes s only if s is exactly the encoding of its bytes: the
// decoder alone ignores line breaks and the unused low bits of the last
// character, which would give one ID several spellings.
func canonical(s string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != s {
		return nil, false
	}
	return raw, true
}

var (
	ErrInvalidID     = errors.New("invalid ID")
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrNoCodec is the server's fault (a request served without
	// WithCodec), never the client's, even when met reading an argument.
	ErrNoCodec = errors.New("gid: no codec in context")
)

type ctxKey struct{}

// WithCodec puts the codec where the GraphQL scalars find it.
func WithCodec(ctx context.Context, c *Codec) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the request's codec.
func FromContext(ctx context.Context) (*Codec, error) {
	c, _ := ctx.Value(ctxKey{}).(*Codec)
	if c == nil {
		return nil, ErrNoCodec
	}
	return c, nil
}

// Package reqinfo carries per-request facts (request id, client IP) through
// the context, for logs, errors and rate limits.
package reqinfo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Info describes the request being served.
type Info struct {
	RequestID string
	ClientIP  string // personal data: use only hashed (rate limits), never log it
}

type ctxKey struct{}

// NewContext stores info in ctx.
func NewContext(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// FromContext returns the request's info (zero outside a request).
func FromContext(ctx context.Context) Info {
	info, _ := ctx.Value(ctxKey{}).(Info)
	return info
}

// NewRequestID returns a random id to quote in support requests.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

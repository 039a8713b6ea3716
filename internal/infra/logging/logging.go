// Package logging builds the service's structured logger (log/slog, JSON).
// Each record made with a request context carries that request's id, and
// every record passes the redaction of redact.go.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tongxue/tongxue/internal/infra/reqinfo"
)

// New returns a JSON logger writing to w at the named level.
func New(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("TONGXUE_LOG_LEVEL: %w", err)
	}
	return slog.New(Wrap(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))), nil
}

// Wrap adds the redaction and the request id to a handler. The id is added
// after the redaction: it is ours, and a long run of hex digits must not be
// mistaken for a phone number.
func Wrap(h slog.Handler) slog.Handler { return Redact(requestIDHandler{h}) }

// requestIDHandler adds request_id from the context to every record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := reqinfo.FromContext(ctx).RequestID; id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/reqinfo"
)

// errorPresenter is the one place errors become what the client sees: every
// error carries extensions.code, and internal faults are logged with the
// request id and shown only as INTERNAL with that id.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apperr.As(err); ok {
			gerr.Message = e.Message
			gerr.Extensions = map[string]any{"code": e.Code}
			for k, v := range e.Extensions {
				gerr.Extensions[k] = v
			}
			return gerr
		}
		var ge *gqlerror.Error
		isGQL := errors.As(err, &ge)
		switch {
		case isGQL && ge.Extensions["code"] != nil:
			return gerr // parse and validation errors from gqlgen
		case isGQL && ge.Err == nil && len(ge.Path) == 0:
			// A protocol error raised by a transport (e.g. a body that is not
			// JSON). Its text may quote the request body: keep the first clause.
			msg, _, _ := strings.Cut(ge.Message, ":")
			gerr.Message = msg
			gerr.Extensions = map[string]any{"code": "BAD_REQUEST"}
			return gerr
		case clientField(err) != "":
			// The schema's own checks, behind the domain's: a value it refuses
			// is still the client's input, named by field, never echoed.
			f := clientField(err)
			gerr.Message = "the value of " + f + " is not valid"
			gerr.Extensions = map[string]any{"code": apperr.CodeBadUserInput, "field": f}
			return gerr
		case ent.IsNotFound(err):
			gerr.Message = "not found"
			gerr.Extensions = map[string]any{"code": apperr.CodeNotFound}
			return gerr
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			// lib/pq reports a statement cancelled at the deadline with its own
			// error (57014), not ctx.Err(): the request's deadline decides.
			gerr.Message = "the request took too long"
			gerr.Extensions = map[string]any{"code": "TIMEOUT"}
			return gerr
		case errors.Is(ctx.Err(), context.Canceled):
			// The client went away (closed the connection or the socket):
			// nobody reads this answer, and it is no fault of the server's.
			gerr.Message = "the request was cancelled"
			gerr.Extensions = map[string]any{"code": "CANCELLED"}
			return gerr
		}
		return internal(ctx, log, gerr, err)
	}
}

// clientField is the input field, as the graph spells it, of an ent
// validation error about a value a client sent; "" for anything else: a
// missing field or a column only the server writes (sealed, hashed, keys)
// is the server's fault, logged as INTERNAL and never named to the client.
func clientField(err error) string {
	var ve *ent.ValidationError
	if !errors.As(err, &ve) || strings.Contains(ve.Error(), "missing required field") {
		return ""
	}
	for _, server := range []string{"_cipher", "_hash", "_id", "_key", "_seq"} {
		if strings.HasSuffix(ve.Name, server) {
			return ""
		}
	}
	words := strings.Split(ve.Name, "_")
	for i, w := range words[1:] {
		switch w {
		case "url", "id":
			words[i+1] = strings.ToUpper(w)
		default:
			words[i+1] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, "")
}

func internal(ctx context.Context, log *slog.Logger, gerr *gqlerror.Error, cause error) *gqlerror.Error {
	id := reqinfo.FromContext(ctx).RequestID
	log.ErrorContext(ctx, "internal error", "err", cause.Error(), "path", gerr.Path.String())
	gerr.Message = "internal error"
	gerr.Extensions = map[string]any{"code": apperr.CodeInternal, "requestId": id}
	return gerr
}

// recoverFunc turns a resolver panic into an error (the presenter then
// makes it INTERNAL); the stack goes to the log, never to the client.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errPanic
	}
}

var errPanic = errors.New("panic in resolver")

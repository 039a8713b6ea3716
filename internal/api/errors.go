package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/gid"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
)

// errorPresenter is the one place errors become what the client sees: every
// error carries extensions.code, and internal faults are logged with the
// request id and shown only as INTERNAL with that id.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		arg := argumentPath(ctx, gerr)
		if e, ok := apperr.As(err); ok {
			gerr.Message = e.Message
			gerr.Extensions = map[string]any{"code": string(e.Code)}
			for k, v := range e.Extensions {
				gerr.Extensions[k] = v
			}
			if arg != "" && e.Code == apperr.CodeBadUserInput && gerr.Extensions["field"] == nil {
				gerr.Extensions["field"] = arg // a scalar's own refusal (ID, Date, Cursor)
			}
			return gerr
		}
		var ge *gqlerror.Error
		isGQL := errors.As(err, &ge)
		switch {
		case isGQL && variablePath(ge) != "":
			// A variable's value does not fit its type: the document is
			// valid, the input is not.
			f := variablePath(ge)
			gerr.Message = "the value of " + f + " is not valid" + variableProblem(ge.Message)
			gerr.Extensions = map[string]any{"code": string(apperr.CodeBadUserInput), "field": f}
			return gerr
		case isGQL && ge.Extensions["code"] != nil:
			return gerr // parse and validation errors from gqlgen
		case arg != "" && !errors.Is(err, gid.ErrNoCodec):
			// gqlgen could not read an argument (a scalar, enum or input
			// object refused the value): the client's input. The cause's text
			// may echo the value, so it is not shown.
			gerr.Message = "the value of " + arg + " is not valid"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeBadUserInput), "field": arg}
			return gerr
		case emptyFilter(ctx, err) != "":
			// ent refuses an empty object inside a where input ({} in
			// hasReviewsWith, and, or, not) as matching nothing to filter by.
			f := emptyFilter(ctx, err)
			gerr.Message = "the value of " + f + " is empty: give at least one condition"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeBadUserInput), "field": f}
			return gerr
		case isGQL && ge.Err == nil && len(ge.Path) == 0:
			// A protocol error raised by a transport (e.g. a body that is not
			// JSON). Its text may quote the request body: keep the first clause.
			msg, _, _ := strings.Cut(ge.Message, ":")
			gerr.Message = msg
			gerr.Extensions = map[string]any{"code": string(apperr.CodeBadRequest)}
			return gerr
		case clientField(err) != "":
			// The schema's own checks, behind the domain's: a value it refuses
			// is still the client's input, named by field, never echoed.
			f := clientField(err)
			gerr.Message = "the value of " + f + " is not valid"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeBadUserInput), "field": f}
			return gerr
		case ent.IsNotFound(err):
			gerr.Message = "not found"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeNotFound)}
			return gerr
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			// lib/pq reports a statement cancelled at the deadline with its own
			// error (57014), not ctx.Err(): the request's deadline decides.
			gerr.Message = "the request took too long"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeTimeout)}
			return gerr
		case errors.Is(ctx.Err(), context.Canceled):
			// The client went away (closed the connection or the socket):
			// nobody reads this answer, and it is no fault of the server's.
			gerr.Message = "the request was cancelled"
			gerr.Extensions = map[string]any{"code": string(apperr.CodeCancelled)}
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

// argumentPath is the argument, as the request spells it (where.createdAtGT,
// ids[1]), an error is about when gqlgen raised it reading the arguments of
// the field being resolved: its path then goes on below the field's own path
// into one of the field's arguments. "" for any other error (a resolver's
// is at the field's path).
func argumentPath(ctx context.Context, gerr *gqlerror.Error) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return ""
	}
	at := fc.Path()
	if len(gerr.Path) <= len(at) {
		return ""
	}
	for i := range at {
		if at[i] != gerr.Path[i] {
			return ""
		}
	}
	name, ok := gerr.Path[len(at)].(ast.PathName)
	if !ok || fc.Field.Definition.Arguments.ForName(string(name)) == nil {
		return ""
	}
	return gerr.Path[len(at):].String()
}

// variablePath is "$name.field" for an error gqlparser raised coercing the
// value of a variable (its path starts with "variable"), "" otherwise.
func variablePath(ge *gqlerror.Error) string {
	if len(ge.Path) < 2 || ge.Path[0] != ast.PathName("variable") {
		return ""
	}
	if _, ok := ge.Path[1].(ast.PathName); !ok {
		return ""
	}
	return "$" + ge.Path[1:].String()
}

// variableProblem adds gqlparser's words when they name only types and
// kinds ("cannot use string as Int", "must be defined"); others may quote
// the value (an enum's "<value> is not a valid Category") and are left out.
func variableProblem(msg string) string {
	if safeVariableProblem.MatchString(msg) {
		return ": " + msg
	}
	return ""
}

var safeVariableProblem = regexp.MustCompile(`^(must be defined|cannot be null|unknown field|enums must be ints or strings|cannot use [a-z0-9]+ as [A-Za-z0-9_]+|must be a [A-Za-z0-9_]+, not a [a-z0-9]+)$`)

// emptyFilter is the path (where.hasReviewsWith) of an empty object inside a
// where input, which ent's generated WhereInput.P refuses with
// "ent: empty predicate ReviewWhereInput: field 'HasReviewsWith'" (one
// ": field 'x'" per level, innermost first); "" for any other error.
func emptyFilter(ctx context.Context, err error) string {
	msg := err.Error()
	i := strings.Index(msg, emptyPredicate)
	if i < 0 {
		return ""
	}
	levels := emptyLevel.FindAllStringSubmatch(msg[i:], -1)
	if len(levels) == 0 {
		return ""
	}
	path := []string{whereArgument(ctx)}
	for j := len(levels) - 1; j >= 0; j-- {
		f := levels[j][1]
		path = append(path, strings.ToLower(f[:1])+f[1:])
	}
	return strings.Join(path, ".")
}

const emptyPredicate = "ent: empty predicate "

var emptyLevel = regexp.MustCompile(`: field '([A-Za-z][A-Za-z0-9]*)'`)

// whereArgument is the name of the field's where-input argument ("where"
// in every connection entgql generates).
func whereArgument(ctx context.Context) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Definition != nil {
		for _, a := range fc.Field.Definition.Arguments {
			if strings.HasSuffix(a.Type.Name(), "WhereInput") {
				return a.Name
			}
		}
	}
	return "where"
}

func internal(ctx context.Context, log *slog.Logger, gerr *gqlerror.Error, cause error) *gqlerror.Error {
	id := reqinfo.FromContext(ctx).RequestID
	log.ErrorContext(ctx, "internal error", "err", cause.Error(), "path", gerr.Path.String())
	gerr.Message = "internal error"
	gerr.Extensions = map[string]any{"code": string(apperr.CodeInternal), "requestId": id}
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

// Package api serves the graph over HTTP and websockets: transports,
// protection limits, authentication, the error presenter and the health
// endpoints.
package api

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/gid"
	"github.com/tongxue/tongxue/internal/infra/gqlexec"
	"github.com/tongxue/tongxue/internal/infra/wsgorilla"
	"github.com/tongxue/tongxue/resolvers"
)

// Limits of the graph (G3).
const (
	maxBodyBytes     = 1 << 20
	maxUploadBytes   = 24 << 20 // multipart requests: pictures (each at most 5 MB) and their form
	wsPayloadLimit   = 64 << 10
	requestTimeout   = 15 * time.Second
	wsPingInterval   = 20 * time.Second
	wsInitTimeout    = 10 * time.Second
	queryCacheSize   = 1000
	persistedQueries = 1000
)

// NewGraphQL builds the GraphQL handler.
func NewGraphQL(d *app.Services) *handler.Server {
	return NewGraphQLWith(d, resolvers.NewSchema(resolvers.New(d)))
}

// NewGraphQLWith builds the handler around a given executable schema
// (benchmarks compare directive implementations with it).
func NewGraphQLWith(d *app.Services, es graphql.ExecutableSchema) *handler.Server {
	return newGraphQL(d, es, true)
}

// newGraphQL builds the handler; without limits only for the benchmark
// that measures what they cost (limits_export_test.go).
func newGraphQL(d *app.Services, es graphql.ExecutableSchema, limits bool) *handler.Server {
	srv := handler.New(es)

	wsLimit := int64(wsPayloadLimit)
	srv.AddTransport(transport.Websocket{
		Implementation: wsgorilla.New(wsgorilla.Options{
			CheckOrigin: wsgorilla.AllowOrigins(d.Web.AllowedOrigins),
			// Prefer the current protocol when a client offers both.
			Subprotocols: []string{"graphql-transport-ws", "graphql-ws"},
		}),
		InitFunc:              wsInit(d.Auth, d.Sessions),
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsPingInterval, // graphql-ws
		PingPongInterval:      wsPingInterval, // graphql-transport-ws: a dead peer ends its subscriptions
		PayloadReadLimit:      &wsLimit,
	})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: maxUploadBytes, MaxMemory: 8 << 20})

	queries := lru.New[*ast.QueryDocument](queryCacheSize)
	srv.SetQueryCache(queries)
	if d.Web.Production {
		srv.SetValidationRulesFn(quietRules) // no introspection, no "Did you mean"
		srv.SetDisableSuggestion(true)       // else gqlgen puts two suggesting rules back
	} else {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](persistedQueries)})
	if limits {
		srv.Use(requestLimits{queries: queries}) // after APQ, which fills in the query (limits.go)
	}

	srv.SetErrorPresenter(errorPresenter(d.Log))
	srv.SetRecoverFunc(recoverFunc(d.Log))
	present := errorPresenter(d.Log)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		ctx = gqlexec.WithOperation(gid.WithCodec(ctx, d.Codec))
		ctx, err := viewerNow(ctx, d.Auth)
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err)}})
		}
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			ctx = privacy.WithRequestCache(ctx)
			ctx = d.Wows.WithLoaders(ctx)
			return next(ctx)
		}
		// Queries and mutations read consents once; a subscription lives too
		// long for that and reads them afresh for every event.
		if v := auth.FromContext(ctx); v != nil {
			fresh := *v
			fresh.Consented = nil
			ctx = auth.NewContext(ctx, &fresh)
		}
		return gateSubscription(ctx, d.Privacy, present, next)
	})
	srv.AroundOperations(throttleOperations(d.Throttle, present)) // inside: sees the socket's viewer as it is now
	srv.AroundRootFields(d.Privacy.Gate)
	srv.AroundResponses(logOperation(d.Log))
	return srv
}

// gateSubscription runs a subscription behind the policy gate (P1), which
// gqlgen's root-field middleware (Gate) does not reach: the gate goes into
// this operation's own field middleware. A stream it ends answers once more,
// with the error, and then completes.
func gateSubscription(ctx context.Context, p *privacy.Service, present graphql.ErrorPresenterFunc, next graphql.OperationHandler) graphql.ResponseHandler {
	var stopped atomic.Pointer[gqlerror.Error]
	oc := graphql.GetOperationContext(ctx)
	oc.ResolverMiddleware = p.GateSubscription(func(ctx context.Context, err error) {
		stopped.Store(present(ctx, err))
	}, oc.ResolverMiddleware)
	responses := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		if r := responses(ctx); r != nil {
			return r
		}
		if err := stopped.Swap(nil); err != nil {
			return &graphql.Response{Errors: gqlerror.List{err}}
		}
		return nil
	}
}

// wsInit authenticates a websocket from its connection_init payload
// ({"authToken": "..."} or {"Authorization": "Bearer ..."}) or, without a
// token there, from the upgrade request's Authorization header
// (graphqlEndpoint put that viewer in ctx). No token means an anonymous
// connection; a bad or ended one is refused with 4403. However it was
// authenticated, the connection closes when its session ends (logout,
// expiry, revocation, on any instance), subscriptions and all, and each
// operation on it sees the session as it is now (viewerNow).
func wsInit(a *auth.Service, ends *auth.SessionEnds) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := p.GetString("authToken")
		if token == "" {
			token = bearer(p.Authorization())
		}
		var v *auth.Viewer
		var err error
		switch upgraded := auth.FromContext(ctx); {
		case token != "":
			v, err = a.Authenticate(ctx, token)
		case upgraded != nil:
			// The header was read at the upgrade: the session may have
			// ended while the client took its time to send connection_init.
			v, err = a.Refresh(ctx, upgraded)
		default:
			return ctx, nil, nil
		}
		if err != nil {
			ctx = transport.WithWebsocketCloseCode(ctx, 4403)
			ctx = transport.AppendCloseReason(ctx, "Forbidden")
			return ctx, nil, errInvalidSession
		}
		return context.WithValue(auth.NewContext(ends.Hold(ctx, v), v), socketKey{}, true), nil, nil
	}
}

type socketKey struct{}

// viewerNow gives each operation on a websocket the session as it is now
// (its own copy, too: operations run concurrently): a logout or an expiry
// makes the socket anonymous, a withdrawn consent counts at once. HTTP
// requests were authenticated just before.
func viewerNow(ctx context.Context, a *auth.Service) (context.Context, error) {
	v := auth.FromContext(ctx)
	if v == nil || ctx.Value(socketKey{}) == nil {
		return ctx, nil
	}
	fresh, err := a.Refresh(ctx, v)
	if errors.Is(err, auth.ErrInvalidSession) {
		return auth.NewContext(ctx, nil), nil
	}
	if err != nil {
		return ctx, err
	}
	return auth.NewContext(ctx, fresh), nil
}

func bearer(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// logOperation writes one debug line per response: the operation's name and
// kind and the error codes, never its variables (they hold personal data).
func logOperation(log *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || !log.Enabled(ctx, slog.LevelDebug) {
			return resp
		}
		oc := graphql.GetOperationContext(ctx)
		kind := ""
		if oc.Operation != nil {
			kind = string(oc.Operation.Operation)
		}
		codes := make([]string, 0, len(resp.Errors))
		for _, e := range resp.Errors {
			c, _ := e.Extensions["code"].(string)
			codes = append(codes, c)
		}
		log.DebugContext(ctx, "graphql", "operation", oc.OperationName, "kind", kind,
			"ms", time.Since(oc.Stats.OperationStart).Milliseconds(), "errors", codes)
		return resp
	}
}

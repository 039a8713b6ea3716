package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tongxue/tongxue/internal/api/playground"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
	"github.com/tongxue/tongxue/internal/partners/payment"
	"github.com/tongxue/tongxue/resolvers"
)

var errInvalidSession = errors.New("the session token is invalid, expired or revoked")

// NewHandler returns the server's HTTP handler: /graphql, the playground at /
// (development only), /healthz and /readyz.
func NewHandler(d *app.Services) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", graphqlEndpoint(d, NewGraphQL(d)))
	mux.Handle("POST "+orders.CallbackPath+"{provider}", paymentCallback(d))
	mux.Handle("GET "+resolvers.MediaPath, http.StripPrefix(resolvers.MediaPath, media.Serve(d.Media, d.Pictures.Guard())))
	mux.Handle("GET /exports/{token}", exportDownload(d))                        // a copy of my data (exports.go)
	mux.Handle("GET /staff/privacy-requests/{id}/documents/{n}", kinDocument(d)) // a next of kin's files (kindocuments.go)
	mux.HandleFunc("GET /star-cards/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, d.Cards.PublicKeys())
	})
	mux.HandleFunc("GET /star-cards/revoked", func(w http.ResponseWriter, r *http.Request) {
		numbers, err := d.Cards.Revoked(r.Context())
		if err != nil {
			d.Log.ErrorContext(r.Context(), "revoked cards", "err", err)
			writeError(w, http.StatusServiceUnavailable, apperr.CodeInternal, "try again shortly")
			return
		}
		writeJSON(w, map[string]any{"revoked": numbers})
	})
	if !d.Web.Production {
		mux.Handle("GET /{$}", playground.Handler("tongxue", "/graphql"))
		mux.Handle("GET "+playground.AssetsPath, playground.Assets())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := d.DB.Ready(r.Context()); err != nil {
			d.Log.WarnContext(r.Context(), "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"database unreachable"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	return withRequest(d, crossOrigin(d.Web.AllowedOrigins, mux)) // cors.go
}

// graphqlEndpoint admits GraphQL requests: websocket upgrades, GET, and POST
// with a JSON body; it bounds body size and time and resolves the bearer token.
func graphqlEndpoint(d *app.Services, gql http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgrade := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		switch {
		case upgrade, r.Method == http.MethodGet:
		case r.Method == http.MethodPost:
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			limit := int64(maxBodyBytes)
			switch mt {
			case "application/json":
			case "multipart/form-data": // file uploads
				limit = maxUploadBytes
			default:
				writeError(w, http.StatusUnsupportedMediaType, apperr.CodeUnsupportedMediaType,
					"POST a body of type application/json (or multipart/form-data with files)")
				return
			}
			if r.ContentLength > limit {
				writeError(w, http.StatusRequestEntityTooLarge, apperr.CodePayloadTooLarge, "the request body is too large")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, apperr.CodeMethodNotAllowed, "use GET or POST")
			return
		}
		ctx := r.Context()
		if token := bearer(r.Header.Get("Authorization")); token != "" {
			v, err := d.Auth.Authenticate(ctx, token)
			if err != nil {
				if !errors.Is(err, auth.ErrInvalidSession) {
					d.Log.ErrorContext(ctx, "authenticate", "err", err)
					writeError(w, http.StatusServiceUnavailable, apperr.CodeInternal, "try again shortly")
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, apperr.CodeUnauthenticated, errInvalidSession.Error())
				return
			}
			// A websocket upgrade carries this viewer to wsInit, which ties
			// the connection to the session as for a token sent in
			// connection_init: it closes when the session ends.
			ctx = auth.NewContext(ctx, v)
		}
		if !upgrade {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, requestTimeout)
			defer cancel()
		}
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withRequest gives each request an id and its client IP, recovers panics
// outside the executor, and logs one line per request without personal data
// (no IP, no query string: GET queries carry variables).
func withRequest(d *app.Services, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := reqinfo.Info{RequestID: reqinfo.NewRequestID(), ClientIP: clientIP(r, d.Web.TrustProxy)}
		ctx := reqinfo.NewContext(r.Context(), info)
		w.Header().Set("X-Request-Id", info.RequestID)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { //nolint:errorlint // a recovered panic value, compared as net/http does
					panic(p)
				}
				d.Log.ErrorContext(ctx, "http panic", "path", r.URL.Path)
				if !sw.wrote {
					writeError(sw, http.StatusInternalServerError, apperr.CodeInternal, "internal error")
				}
			}
			d.Log.LogAttrs(ctx, slog.LevelInfo, "http",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status()), slog.Int64("ms", time.Since(start).Milliseconds()))
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		// The load balancer appends the address it saw: take the last entry.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter remembers the status for the access log. It passes Hijack
// and Flush through so websockets keep working.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return // e.g. gqlgen's own error status after gorilla refused an upgrade
	}
	w.code, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	w.code, w.wrote = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// paymentCallback receives a provider's signed result notification. The
// answer follows the provider's convention: 2xx stops redelivery.
func paymentCallback(d *app.Services) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, payment.MaxCallbackBytes))
		if err != nil {
			http.Error(w, `{"code":"FAIL","message":"body too large"}`, http.StatusRequestEntityTooLarge)
			return
		}
		err = d.Orders.HandleCallback(r.Context(), r.PathValue("provider"), r.Header, body)
		status := payment.HTTPStatus(err)
		switch {
		case errors.Is(err, orders.ErrUnknownProvider):
			status = http.StatusNotFound
		case status == http.StatusInternalServerError:
			d.Log.ErrorContext(r.Context(), "payment callback", "err", err)
		case err != nil:
			d.Log.WarnContext(r.Context(), "payment callback refused", "err", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if err != nil {
			_, _ = w.Write([]byte(`{"code":"FAIL"}`))
			return
		}
		_, _ = w.Write([]byte(`{"code":"SUCCESS"}`))
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

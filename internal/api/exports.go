package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// exportDownload serves GET /exports/{token}: a copy of the user's data
// (dataexport.Service.Download), to the export's owner only (the session's
// bearer token, as for /graphql), once. An unknown, used, expired or
// someone else's link is the same 404. Nothing is cached: the archive holds
// sensitive data in full. Logs name no token and no value.
func exportDownload(d *app.Services) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		ctx := r.Context()
		v, ok := sessionViewer(d, w, r)
		if !ok {
			return
		}
		zip, name, err := d.Exports.Download(ctx, r.PathValue("token"), v)
		switch {
		case dataexport.IsGone(err):
			writeError(w, http.StatusNotFound, apperr.CodeNotFound,
				"no such download: a link works once, for its owner, until it expires; ask for a new one")
			return
		case err != nil:
			d.Log.ErrorContext(ctx, "data export download", "user_id", v.UserID, "err", err)
			writeError(w, http.StatusInternalServerError, apperr.CodeInternal, "internal error")
			return
		}
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Content-Length", strconv.Itoa(len(zip)))
		_, _ = w.Write(zip)
		d.Log.InfoContext(ctx, "data export downloaded", "user_id", v.UserID)
	})
}

// sessionViewer authenticates a plain HTTP request with the session's
// bearer token, as /graphql does; it answers 401 (or 503) itself when it
// cannot.
func sessionViewer(d *app.Services, w http.ResponseWriter, r *http.Request) (*auth.Viewer, bool) {
	ctx, h := r.Context(), w.Header()
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		h.Set("WWW-Authenticate", `Bearer`)
		writeError(w, http.StatusUnauthorized, apperr.CodeUnauthenticated, "send the session token as Authorization: Bearer")
		return nil, false
	}
	v, err := d.Auth.Authenticate(ctx, token)
	if err != nil {
		if !errors.Is(err, auth.ErrInvalidSession) {
			d.Log.ErrorContext(ctx, "authenticate", "err", err)
			writeError(w, http.StatusServiceUnavailable, apperr.CodeInternal, "try again shortly")
			return nil, false
		}
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, apperr.CodeUnauthenticated, errInvalidSession.Error())
		return nil, false
	}
	return v, true
}

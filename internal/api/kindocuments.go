package api

import (
	"net/http"
	"strconv"

	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// kinDocument serves GET /staff/privacy-requests/{id}/documents/{n}: the
// n-th file (from 1) a next of kin sent with a request (R7), to staff only,
// while the request is open (the files are deleted when it is answered).
// Each opening is recorded (rights.Service.Documents); the file is never
// cached and, being the requester's, is sandboxed so a crafted PDF or
// picture runs nothing in the staff's browser.
func kinDocument(d *app.Services) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		v, ok := sessionViewer(d, w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		id, err := d.Codec.DecodeID(r.PathValue("id"))
		n, nerr := strconv.Atoi(r.PathValue("n"))
		if err != nil || nerr != nil || n < 1 {
			writeError(w, http.StatusNotFound, apperr.CodeNotFound, "no such document")
			return
		}
		docs, err := d.Rights.Documents(ctx, v, id)
		switch code := apperr.CodeOf(err); {
		case code == apperr.CodeForbidden || code == apperr.CodeUnauthenticated:
			writeError(w, http.StatusForbidden, apperr.CodeForbidden, "only staff review these documents")
			return
		case err != nil && code != apperr.CodeNotFound:
			d.Log.ErrorContext(ctx, "kin documents", "request_id", id, "err", err)
			writeError(w, http.StatusInternalServerError, apperr.CodeInternal, "internal error")
			return
		case err != nil || n > len(docs):
			writeError(w, http.StatusNotFound, apperr.CodeNotFound, "no such document: the files are deleted once the request is answered")
			return
		}
		doc := docs[n-1]
		h.Set("Content-Type", doc.Type)
		h.Set("Content-Disposition", "attachment")
		h.Set("Content-Length", strconv.Itoa(len(doc.Data)))
		_, _ = w.Write(doc.Data)
	})
}

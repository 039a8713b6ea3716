package api

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// postTransport serves GraphQL over HTTP POST with a JSON body, as gqlgen's
// transport.POST does, but writes the response itself (writeResponse) and
// never echoes the request body in an error.
type postTransport struct{}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctype := responseType(r)
	w.Header().Set("Content-Type", ctype)
	ctx := r.Context()
	raw := &graphql.RawParams{Headers: r.Header}
	raw.ReadTime.Start = graphql.Now()
	body := getBuffer()
	defer putBuffer(body)
	if _, err := body.ReadFrom(r.Body); err != nil {
		// The body limit (http.MaxBytesReader) or a broken connection.
		writeError(w, http.StatusRequestEntityTooLarge, apperr.CodePayloadTooLarge, "the request body is too large or was cut off")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(raw); err != nil {
		writeError(w, http.StatusBadRequest, apperr.CodeBadRequest, "the request body is not a JSON GraphQL request")
		return
	}
	raw.ReadTime.End = graphql.Now()

	oc, errs := exec.CreateOperationContext(ctx, raw)
	if errs != nil {
		w.WriteHeader(statusFor(ctype, errs))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

// statusFor is the status of a request refused before it ran, as the
// GraphQL-over-HTTP spec gives it: 400 under application/graphql-response+json,
// 422 under application/json (gqlgen's choice) for a document that does not
// parse or validate, 200 for the rest.
func statusFor(ctype string, errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if ctype == graphqlResponseJSON {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// writeResponse writes resp as encoding/json would, but copies Data as it
// is: the executor wrote it as JSON already, and json.Marshal would scan and
// compact it again (a tenth of the home read's CPU). No response at all
// means the client went away or the deadline passed before the operation
// ran.
func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	if resp == nil {
		writeError(w, http.StatusOK, apperr.CodeTimeout, "the request took too long")
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	buf.WriteByte('{')
	field := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		buf.WriteByte('"')
		buf.WriteString(name)
		buf.WriteString(`":`)
		buf.Write(b)
		buf.WriteByte(',')
	}
	if len(resp.Errors) > 0 {
		field("errors", resp.Errors)
	}
	buf.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		buf.WriteString("null")
	} else {
		buf.Write(resp.Data)
	}
	buf.WriteByte(',')
	if resp.Label != "" {
		field("label", resp.Label)
	}
	if len(resp.Path) > 0 {
		field("path", resp.Path)
	}
	if resp.HasNext != nil {
		field("hasNext", *resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		field("extensions", resp.Extensions)
	}
	buf.Truncate(buf.Len() - 1) // the last comma
	buf.WriteByte('}')
	_, _ = w.Write(buf.Bytes())
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

// putBuffer keeps buffers up to 1 MiB: a rare huge response should not pin
// its memory.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		b.Reset()
		buffers.Put(b)
	}
}

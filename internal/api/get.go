package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// getTransport serves GraphQL over HTTP GET for queries only. gqlgen's GET
// answers a mutation with 406 and an error without a code; the
// GraphQL-over-HTTP spec asks for 405, and this graph gives every error a code.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctype := responseType(r)
	w.Header().Set("Content-Type", ctype)
	q := r.URL.Query()
	raw := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	raw.ReadTime.Start = graphql.Now()
	for name, dst := range map[string]*map[string]any{"variables": &raw.Variables, "extensions": &raw.Extensions} {
		if v := q.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil {
				writeError(w, http.StatusBadRequest, apperr.CodeBadRequest, name+" is not valid JSON")
				return
			}
		}
	}
	raw.ReadTime.End = graphql.Now()

	ctx := r.Context()
	oc, errs := exec.CreateOperationContext(ctx, raw)
	if errs != nil {
		if ctype == graphqlResponseJSON {
			w.WriteHeader(http.StatusBadRequest)
		}
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	if oc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, apperr.CodeMethodNotAllowed, "GET serves queries only: send mutations and subscriptions by POST or websocket")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseType picks application/graphql-response+json when the client
// accepts it, as the GraphQL-over-HTTP spec recommends, else application/json.
func responseType(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == graphqlResponseJSON {
			return graphqlResponseJSON
		}
	}
	return "application/json"
}

// writeError writes a response holding one error with a code, for failures
// outside the executor.
func writeError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": string(code)}}}})
	_, _ = w.Write(b)
}

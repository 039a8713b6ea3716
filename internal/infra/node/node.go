// Package node resolves Relay IDs for the node and nodes queries. Both
// answer an ID that names no row the viewer may see (deleted, hidden by a
// query interceptor such as a post's visibility, or of a type that is not
// a Node) with one error, NOT_FOUND "node not found": the message never
// holds the decoded row number or a table name, which ent's generated
// Noders would put there ("Could not resolve to a node with the global id
// of '4294967299'").
package node

import (
	"context"
	"errors"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// NotFound is the error for an ID that names nothing the viewer may see.
func NotFound() *apperr.Error { return apperr.NotFound("node") }

// One loads the node id names.
func One(ctx context.Context, c *ent.Client, id int) (ent.Noder, error) {
	n, err := c.Noder(ctx, id)
	if isNotFound(err) {
		return nil, NotFound()
	}
	return n, err
}

// Many loads the nodes ids name, in order, one query per type (ent's
// Noders). A node that cannot be loaded is null in the list with an error
// at its index: NotFound, or the cause of another failure (a database
// error, then INTERNAL).
func Many(ctx context.Context, c *ent.Client, ids []int) ([]ent.Noder, error) {
	// Noders reports each failed index with graphql.AddError, its ID in the
	// message: it reports here instead, and each failure is reported again
	// below in our words.
	var (
		mu     sync.Mutex
		failed = map[int]error{}
	)
	catch := func(at context.Context, err error) *gqlerror.Error {
		if pc := graphql.GetPathContext(at); pc != nil && pc.Index != nil {
			mu.Lock()
			failed[*pc.Index] = err
			mu.Unlock()
			return nil
		}
		graphql.AddError(ctx, err) // not about one ID: to the response as it is
		return nil
	}
	inner := graphql.WithResponseContext(ctx, catch, graphql.DefaultRecover)
	nodes, err := c.Noders(inner, ids)
	if err != nil {
		if len(ids) != 1 { // Noders returns one ID's error itself
			return nil, err
		}
		failed[0], nodes = err, nil
	}
	if len(nodes) != len(ids) {
		nodes = make([]ent.Noder, len(ids))
	}
	for i := range ids {
		if nodes[i] != nil {
			continue
		}
		cause := failed[i]
		if cause == nil || isNotFound(cause) {
			cause = NotFound()
		}
		graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), cause)
	}
	return nodes, nil
}

// isNotFound: ent's own not-found (also its error for an ID of no Node
// type), or entgql's NOT_FOUND for an ID whose row was not loaded.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	if ent.IsNotFound(err) {
		return true
	}
	var ge *gqlerror.Error
	return errors.As(err, &ge) && ge.Extensions["code"] == string(apperr.CodeNotFound)
}

package gid

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// The GraphQL scalars ID and Cursor bind to these functions (gqlgen.yml).

// MarshalID writes an ID in its opaque form.
func MarshalID(id int) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		c, err := FromContext(ctx)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, strconv.Quote(c.EncodeID(id)))
		return err
	})
}

// UnmarshalID reads an opaque ID; anything else is the client's mistake.
func UnmarshalID(ctx context.Context, v any) (int, error) {
	c, err := FromContext(ctx)
	if err != nil {
		return 0, err
	}
	s, ok := v.(string)
	if !ok {
		return 0, apperr.BadInput("an ID must be a string")
	}
	id, err := c.DecodeID(s)
	if err != nil {
		return 0, apperr.BadInput("invalid ID")
	}
	return id, nil
}

// Cursor is ent's pagination cursor (ent.Cursor is an alias of it).
type Cursor = entgql.Cursor[int]

// MarshalCursor seals ent's cursor, whose plain form would show row IDs.
func MarshalCursor(cur Cursor) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		c, err := FromContext(ctx)
		if err != nil {
			return err
		}
		var plain strings.Builder
		cur.MarshalGQL(&plain)
		inner, err := strconv.Unquote(plain.String())
		if err != nil {
			return fmt.Errorf("gid: cursor: %w", err)
		}
		_, err = io.WriteString(w, strconv.Quote(c.Seal([]byte(inner))))
		return err
	})
}

// UnmarshalCursor opens a sealed cursor.
func UnmarshalCursor(ctx context.Context, v any) (Cursor, error) {
	var cur Cursor
	c, err := FromContext(ctx)
	if err != nil {
		return cur, err
	}
	s, ok := v.(string)
	if !ok {
		return cur, apperr.BadInput("a cursor must be a string")
	}
	inner, err := c.Open(s)
	if err != nil {
		return cur, apperr.BadInput("invalid cursor")
	}
	if err := cur.UnmarshalGQL(string(inner)); err != nil {
		return cur, apperr.BadInput("invalid cursor")
	}
	return cur, nil
}

func randRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
}

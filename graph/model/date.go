package model

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// DateLayout is the wire form of the Date scalar.
const DateLayout = "2006-01-02"

// MarshalDate writes a calendar date (the time part is ignored).
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(DateLayout)))
	})
}

// UnmarshalDate reads YYYY-MM-DD as midnight UTC.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.BadInput("a Date must be a string YYYY-MM-DD")
	}
	t, err := time.ParseInLocation(DateLayout, s, time.UTC)
	if err != nil {
		// The value is not echoed: it may be a birth date.
		return time.Time{}, apperr.BadInput("invalid Date: use YYYY-MM-DD")
	}
	return t, nil
}

package gqlexec

import (
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// Object writes a resolved object's fields in order. It replaces
// graphql.FieldSet's MarshalGQL for objects resolved sequentially, which
// builds a map of written names, an iterator and its closure per object
// (a fifth of the home read's allocations) to skip repeated names:
// CollectFields already merges fields by response name, so none repeat.
func Object(fields []graphql.CollectedField, values []graphql.Marshaler) graphql.Marshaler {
	return &object{fields: fields, values: values}
}

type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o *object) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		// A response name is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): no
		// character needs escaping.
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, o.fields[i].Alias)
		_, _ = io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

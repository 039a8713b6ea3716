package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent/schema"
)

// skipGQL keeps an entity out of the generated GraphQL schema: the types
// the graph shows of it, if any, are written by hand in schema/.
func skipGQL() []schema.Annotation { return []schema.Annotation{entgql.Skip(entgql.SkipAll)} }

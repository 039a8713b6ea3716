package api

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// productionRules add a validation rule refusing __schema and __type, so a
// production client gets GRAPHQL_VALIDATION_FAILED instead of a resolver
// error when it tries to introspect (__typename stays allowed).
func productionRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.AddRule("NoIntrospection", func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnField(func(_ *core.Walker, f *ast.Field) {
			if f.Name == "__schema" || f.Name == "__type" {
				addError(core.Message("introspection is disabled"), core.At(f.Position))
			}
		})
	})
	return r
}

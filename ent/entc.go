//go:build ignore

// entc.go generates the ent client and the ent part of the GraphQL schema
// (schema/ent.graphql). It runs from the ent/ folder through `make generate`.
package main

import (
	"log"
	"slices"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(dropIDRangeFilters),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureGlobalID,   // one ID space: node(id) knows the type from the ID
			gen.FeatureUpsert,     // atomic counters (rate limits)
			gen.FeatureLock,       // SELECT ... FOR UPDATE on PostgreSQL
			gen.FeatureNamedEdges, // nested connections with arguments
			gen.FeatureExecQuery,  // raw statements inside ent transactions
			gen.FeatureModifier,   // joins in one statement (session + user)
			gen.FeatureIntercept,  // who may see a post, for every query path
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// dropIDRangeFilters removes idGT/idGTE/idLT/idLTE from every WhereInput:
// comparing sealed IDs by size would reveal row order, which the opaque IDs
// hide.
func dropIDRangeFilters(_ *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		if def.Kind != ast.InputObject {
			continue
		}
		def.Fields = slices.DeleteFunc(def.Fields, func(f *ast.FieldDefinition) bool {
			switch f.Name {
			case "idGT", "idGTE", "idLT", "idLTE":
				return true
			}
			return false
		})
	}
	return nil
}

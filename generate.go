package main

// make generate runs these in order: ent (which writes schema/ent.graphql)
// first, then gqlgen over all of schema/ (through graph/gen: see there
// what it changes in the generated executor).

//go:generate go -C ent run -mod=mod entc.go
//go:generate go run ./graph/gen

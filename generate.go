package main

// make generate runs these in order: ent (which writes schema/ent.graphql)
// first, then gqlgen over all of schema/.

//go:generate go -C ent run -mod=mod entc.go
//go:generate go tool gqlgen generate

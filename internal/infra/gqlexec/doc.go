// Package gqlexec holds the parts of the GraphQL executor that graph/gen
// substitutes into gqlgen's generated code: objects and lists below the
// root are resolved and written on the request's goroutine, without the
// per-element goroutines and per-object bookkeeping gqlgen's runtime spends
// on concurrency and @defer (this graph loads each level with its parent).
package gqlexec

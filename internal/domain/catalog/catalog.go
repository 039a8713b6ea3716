// Package catalog holds the shopping catalogue rules (S1) that are more
// than a plain ent query.
package catalog

import (
	"strings"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// MaxSearchLength bounds a keyword search.
const MaxSearchLength = 64

// Search matches products whose name or description contains every word of
// the keyword, ignoring case. LIKE wildcards in the input are escaped by ent.
func Search(keyword string) (predicate.Product, error) {
	if utf8.RuneCountInString(keyword) > MaxSearchLength {
		return nil, apperr.BadField("search", "a search has at most %d characters", MaxSearchLength)
	}
	words := strings.Fields(keyword)
	if len(words) == 0 {
		return nil, nil
	}
	preds := make([]predicate.Product, 0, len(words))
	for _, w := range words {
		preds = append(preds, product.Or(product.NameContainsFold(w), product.DescriptionContainsFold(w)))
	}
	return product.And(preds...), nil
}

package catalog_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/domain/catalog"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

func TestSearchTooLong(t *testing.T) {
	for _, kw := range []string{
		strings.Repeat("a", catalog.MaxSearchLength+1),
		strings.Repeat("奶", catalog.MaxSearchLength+1),
		strings.Repeat(" ", catalog.MaxSearchLength+1),
	} {
		pred, err := catalog.Search(kw)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.CodeBadUserInput || e.Extensions["field"] != "search" || pred != nil {
			t.Errorf("Search(%d runes) = %v, %v; want BAD_USER_INPUT on field search", len([]rune(kw)), pred != nil, err)
		}
	}
	// The limit counts characters, not bytes: 64 Chinese characters (192
	// bytes) are fine.
	for _, kw := range []string{strings.Repeat("a", catalog.MaxSearchLength), strings.Repeat("奶", catalog.MaxSearchLength)} {
		if pred, err := catalog.Search(kw); err != nil || pred == nil {
			t.Errorf("Search(%d runes, %d bytes) = %v, %v; want a predicate", len([]rune(kw)), len(kw), pred != nil, err)
		}
	}
}

func TestSearchBlankIsNoFilter(t *testing.T) {
	for _, kw := range []string{"", " ", "\t\n", "　"} { // the last is an ideographic space
		pred, err := catalog.Search(kw)
		if err != nil || pred != nil {
			t.Errorf("Search(%q) = %v, %v; want nil, nil", kw, pred != nil, err)
		}
	}
	if pred, err := catalog.Search(" 奶茶 "); err != nil || pred == nil {
		t.Fatalf("Search(奶茶) = %v, %v", pred != nil, err)
	}
}

func TestSearchMatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, err := db.Client.Merchant.Create().SetName("紫荆便利店").SetCampus("清华大学").SetLocation("东区").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		products := []struct{ name, description string }{
			{"Black Tea", "hot and strong"},
			{"Green tea", "cold brew"},
			{"珍珠奶茶", "黑糖珍珠，少糖可选"},
			{"Coffee", "Arabica beans, Tea-free"},
			{"100% Juice", "orange"},
			{"Snack_Box", "mixed"},
		}
		for _, p := range products {
			if _, err := db.Client.Product.Create().SetMerchantID(m.ID).SetName(p.name).SetDescription(p.description).
				SetPriceFen(100).SetCategory(product.CategoryDRINKS).Save(ctx); err != nil {
				t.Fatal(err)
			}
		}
		cases := map[string][]string{
			"tea":          {"Black Tea", "Coffee", "Green tea"}, // name or description, any case
			"TEA  hot":     {"Black Tea"},                        // every word must match
			"奶茶":           {"珍珠奶茶"},
			"少糖 珍珠":        {"珍珠奶茶"},
			"%":            {"100% Juice"}, // wildcards are literal
			"_":            {"Snack_Box"},
			"tea coffee x": nil,
		}
		for kw, want := range cases {
			pred, err := catalog.Search(kw)
			if err != nil {
				t.Fatal(err)
			}
			names, err := db.Client.Product.Query().Where(pred).Order(product.ByName()).Select(product.FieldName).Strings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			if !slices.Equal(names, want) {
				t.Errorf("Search(%q) = %q, want %q", kw, names, want)
			}
		}
	})
}

package orders_test

import (
	"testing"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/testdb"
)

// The cart and the favourites, each product with its merchant, cost the
// same number of SQL statements for 2 products as for 8 (of 8 merchants).
func TestCartAndFavouritesHaveNoNPlusOne(t *testing.T) {
	counter := &testdb.Counter{}
	testdb.EachWith(t, testdb.Options{WrapDriver: counter.Wrap}, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Seed(t)
		tok := e.Login(t, buyer)
		var ids []string
		seen := map[int]bool{}
		for _, p := range db.Client.Product.Query().Where(product.StudentOnly(false)).AllX(t.Context()) {
			if !seen[p.MerchantID] && len(ids) < 8 {
				seen[p.MerchantID] = true
				ids = append(ids, e.Codec.EncodeID(p.ID))
			}
		}
		const q = `{ myCart { lines { product { name merchant { name } } } } myFavorites(limit: 20) { name merchant { name } } }`
		counts := map[int]int{}
		for _, n := range []int{2, 8} {
			for _, id := range ids[:n] {
				e.Must(t, tok, `mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 1) { totalFen } }`, map[string]any{"p": id}, nil)
				e.Must(t, tok, `mutation($p: ID!) { setFavorite(productId: $p, favorite: true) }`, map[string]any{"p": id}, nil)
			}
			counter.Reset()
			var out struct {
				MyCart struct {
					Lines []struct {
						Product struct{ Merchant struct{ Name string } }
					}
				}
				MyFavorites []struct{ Merchant struct{ Name string } }
			}
			e.Must(t, tok, q, nil, &out)
			counts[n] = counter.Count()
			if len(out.MyCart.Lines) != n || len(out.MyFavorites) != n || out.MyCart.Lines[n-1].Product.Merchant.Name == "" {
				t.Fatalf("%d products: %+v", n, out)
			}
		}
		if counts[2] != counts[8] {
			t.Fatalf("statements: %d for 2 products, %d for 8\n%s", counts[2], counts[8], counter.Statements())
		}
	})
}

package orders_test

import (
	"fmt"
	"sync"
	"testing"

	entaddress "github.com/tongxue/tongxue/ent/address"
	"github.com/tongxue/tongxue/ent/cartitem"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/cart"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
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

// Limits and the one default hold when a user's requests race: 20 adds to a
// cart one line short of full leave it full, not over; 10 addresses created
// at once as the default leave one default.
func TestRacingWritesKeepLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Seed(t)
		e.Login(t, buyer)
		uid := e.UserID(t, buyer)
		ctx := t.Context()
		ps := db.Client.Product.Query().Limit(cart.MaxLines + 19).IDsX(ctx)
		for _, p := range ps[:cart.MaxLines-1] {
			if err := e.Services.Carts.SetQuantity(ctx, uid, p, 1); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for _, p := range ps[cart.MaxLines-1:] {
			wg.Go(func() { _ = e.Services.Carts.SetQuantity(ctx, uid, p, 1) }) // all but one are refused
		}
		for i := range 10 {
			wg.Go(func() {
				if _, err := e.Services.Addresses.Create(ctx, uid, address.Input{RecipientName: "张三", Phone: "13800138000",
					Address: fmt.Sprintf("浙江省杭州市西湖区余杭塘路 %d 号", i+1), IsDefault: true}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := db.Client.CartItem.Query().Where(cartitem.UserID(uid)).CountX(ctx); n != cart.MaxLines {
			t.Fatalf("%d cart lines, limit %d", n, cart.MaxLines)
		}
		if n := db.Client.Address.Query().Where(entaddress.UserID(uid), entaddress.IsDefault(true)).CountX(ctx); n != 1 {
			t.Fatalf("%d default addresses", n)
		}
	})
}

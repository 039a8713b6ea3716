package api_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

// HomePageQuery is the app's home page: a page of products, each with its
// merchant and its three newest reviews and their authors.
const HomePageQuery = `query Home($n: Int!) {
  products(first: $n, orderBy: [{field: CREATED_AT, direction: DESC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name priceFen images rating studentOnly
      merchant { id name campus }
      reviews(first: 3, orderBy: [{field: CREATED_AT, direction: DESC}]) {
        totalCount
        edges { node { id rating text createdAt author { nickname avatarURL } } }
      }
    } }
  }
}`

// The home page costs the same number of SQL statements for 10 products as
// for 100: ent's field collection loads each level in one statement.
func TestHomePageHasNoNPlusOne(t *testing.T) {
	counter := &testdb.Counter{}
	testdb.EachWith(t, testdb.Options{WrapDriver: counter.Wrap}, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		if _, _, err := seed.IfEmpty(t.Context(), db.Client, e.Keys, time.Now()); err != nil {
			t.Fatal(err)
		}
		counts := map[int]int{}
		for _, n := range []int{10, 100} {
			counter.Reset()
			var res struct {
				Products struct {
					Edges []struct {
						Node struct {
							Merchant struct{ Name string }
							Reviews  struct {
								TotalCount int
								Edges      []struct {
									Node struct{ Author struct{ Nickname string } }
								}
							}
						}
					}
				}
			}
			e.Post(t, "", HomePageQuery, map[string]any{"n": n}).Decode(t, &res)
			counts[n] = counter.Count()
			if len(res.Products.Edges) != n {
				t.Fatalf("got %d products, want %d", len(res.Products.Edges), n)
			}
			reviews := 0
			for _, ed := range res.Products.Edges {
				p := ed.Node
				if p.Merchant.Name == "" {
					t.Fatal("merchant not loaded")
				}
				if len(p.Reviews.Edges) != min(3, p.Reviews.TotalCount) {
					t.Fatalf("%d reviews shown of %d", len(p.Reviews.Edges), p.Reviews.TotalCount)
				}
				for _, r := range p.Reviews.Edges {
					if r.Node.Author.Nickname == "" {
						t.Fatal("author not loaded")
					}
					reviews++
				}
			}
			if reviews == 0 {
				t.Fatal("no reviews on the page: the test proves nothing")
			}
		}
		t.Logf("SQL statements: %d for 10 products, %d for 100", counts[10], counts[100])
		if counts[10] != counts[100] {
			t.Fatalf("statements grow with the page: %d for 10, %d for 100\n%s", counts[10], counts[100], counter.Statements())
		}
		if counts[10] > 6 {
			t.Fatalf("%d statements for the home page, want at most 6:\n%s", counts[10], counter.Statements())
		}
	})
}

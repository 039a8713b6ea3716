package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

func seeded(t *testing.T, db *store.DB) *apitest.Env {
	t.Helper()
	e := apitest.New(t, db, apitest.Options{})
	st, loaded, err := seed.IfEmpty(t.Context(), db.Client, e.Keys, time.Now())
	if err != nil || !loaded || st.Products < 1000 {
		t.Fatalf("seed: %+v %v %v", st, loaded, err)
	}
	return e
}

type productPage struct {
	Products struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
		Edges []struct {
			Cursor string
			Node   product
		}
	}
}

type product struct {
	ID, Name, Description, Category, CreatedAt string
	PriceFen, Stock                            int
	Rating                                     float64
	StudentOnly                                bool
	Merchant                                   struct{ ID, Name string }
}

const productFields = `id name description category createdAt priceFen stock rating studentOnly merchant { id name }`

func products(t *testing.T, e *apitest.Env, args string, vars map[string]any) productPage {
	t.Helper()
	var p productPage
	var decl []string
	for _, v := range []string{"after", "before"} {
		if strings.Contains(args, "$"+v) {
			decl = append(decl, "$"+v+": Cursor")
		}
	}
	head := "query"
	if len(decl) > 0 {
		head += "(" + strings.Join(decl, ", ") + ")"
	}
	q := fmt.Sprintf(`%s { products(%s) { totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { %s } } } }`, head, args, productFields)
	e.Post(t, "", q, vars).Decode(t, &p)
	return p
}

func TestCatalogueFiltersOrderingAndPaging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := seeded(t, db)

		// Walk every product by price, 100 at a time: each once, in order.
		var all []product
		var after any
		for {
			p := products(t, e, `first: 100, after: $after, orderBy: [{field: PRICE}]`, map[string]any{"after": after})
			for _, ed := range p.Products.Edges {
				all = append(all, ed.Node)
			}
			if !p.Products.PageInfo.HasNextPage {
				if p.Products.TotalCount != len(all) {
					t.Fatalf("walked %d of %d", len(all), p.Products.TotalCount)
				}
				break
			}
			after = *p.Products.PageInfo.EndCursor
		}
		if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].PriceFen < all[j].PriceFen }) {
			t.Fatal("not sorted by price")
		}
		ids := map[string]bool{}
		for _, p := range all {
			ids[p.ID] = true
		}
		if len(ids) != len(all) {
			t.Fatalf("%d distinct of %d", len(ids), len(all))
		}

		// Backwards: the last page before the first page's end is the same page.
		first := products(t, e, `first: 5, orderBy: [{field: CREATED_AT, direction: DESC}]`, nil)
		for i := 1; i < 5; i++ {
			if first.Products.Edges[i-1].Node.CreatedAt < first.Products.Edges[i].Node.CreatedAt {
				t.Fatal("not newest first")
			}
		}
		back := products(t, e, `last: 4, before: $before, orderBy: [{field: CREATED_AT, direction: DESC}]`,
			map[string]any{"before": first.Products.Edges[4].Cursor})
		for i := range 4 {
			if back.Products.Edges[i].Node.ID != first.Products.Edges[i].Node.ID {
				t.Fatalf("backward page differs at %d", i)
			}
		}

		top := products(t, e, `first: 20, orderBy: [{field: RATING, direction: DESC}, {field: PRICE}]`, nil)
		for i := 1; i < len(top.Products.Edges); i++ {
			if top.Products.Edges[i-1].Node.Rating < top.Products.Edges[i].Node.Rating {
				t.Fatal("not best rated first")
			}
		}

		// Filters: category, price range, merchant, student-only, keyword.
		p := products(t, e, `first: 100, where: {category: DIGITAL, priceFenGTE: 5000, priceFenLTE: 20000}`, nil)
		want := 0
		for _, x := range all {
			if x.Category == "DIGITAL" && x.PriceFen >= 5000 && x.PriceFen <= 20000 {
				want++
			}
		}
		if p.Products.TotalCount != want || want == 0 {
			t.Fatalf("category+price: %d, want %d", p.Products.TotalCount, want)
		}
		for _, ed := range p.Products.Edges {
			if n := ed.Node; n.Category != "DIGITAL" || n.PriceFen < 5000 || n.PriceFen > 20000 {
				t.Fatalf("filter let through %+v", n)
			}
		}
		m := all[0].Merchant
		p = products(t, e, `first: 100, where: {hasMerchantWith: [{id: "`+m.ID+`"}]}`, nil)
		if p.Products.TotalCount != seed.ProductsPerShop {
			t.Fatalf("merchant filter: %d", p.Products.TotalCount)
		}
		p = products(t, e, `first: 100, where: {studentOnly: true}`, nil)
		for _, ed := range p.Products.Edges {
			if !ed.Node.StudentOnly {
				t.Fatal("studentOnly filter")
			}
		}
		p = products(t, e, `first: 100, search: " 蓝牙  耳机 "`, nil)
		if p.Products.TotalCount == 0 {
			t.Fatal("search found nothing")
		}
		for _, ed := range p.Products.Edges {
			if !strings.Contains(ed.Node.Name+ed.Node.Description, "耳机") {
				t.Fatalf("search let through %q", ed.Node.Name)
			}
		}
		if p := products(t, e, `first: 5, search: "100%_"`, nil); p.Products.TotalCount != 0 {
			t.Fatal("LIKE wildcards in a search are not escaped")
		}
	})
}

func TestPageSizeIsBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		for _, q := range []string{
			`{ products { totalCount } }`,
			`{ products(first: 101) { totalCount } }`,
			`{ products(last: -1) { totalCount } }`,
			`{ merchants(first: 5) { edges { node { products { totalCount } } } } }`,
			`{ products(first: 5) { edges { node { reviews(first: 1000) { totalCount } } } } }`,
			`query($n: Int) { products(first: $n) { totalCount } }`,
			`fragment F on Product { reviews { totalCount } } { products(first: 1) { edges { node { ...F } } } }`,
		} {
			if r := e.Post(t, "", q, map[string]any{"n": 500}); r.Code() != "BAD_USER_INPUT" {
				t.Errorf("%s: %+v", q, r.Errors)
			}
		}
		if r := e.Post(t, "", `query($n: Int) { products(first: $n) { totalCount } }`, map[string]any{"n": 100}); len(r.Errors) > 0 {
			t.Fatalf("first: 100 by variable: %+v", r.Errors)
		}
	})
}

// IDs are opaque: fixed length, no visible order, tamper-proof; every type
// resolves through node and nodes.
func TestRelayIDs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := seeded(t, db)
		var res struct {
			Products struct {
				Edges []struct {
					Node struct {
						ID       string
						Merchant struct{ ID string }
						Reviews  struct {
							Edges []struct {
								Node struct {
									ID     string
									Author struct{ ID, Nickname string }
								}
							}
						}
					}
				}
			}
		}
		e.Post(t, "", `{ products(first: 60, orderBy: [{field: CREATED_AT}], where: {reviewCountGTE: 1}) { edges { node {
			id merchant { id } reviews(first: 1) { edges { node { id author { id nickname } } } } } } } }`, nil).Decode(t, &res)
		var ids []string
		for _, ed := range res.Products.Edges {
			ids = append(ids, ed.Node.ID)
		}
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		if slices.Equal(ids, sorted) {
			t.Fatal("IDs sort in creation order")
		}
		for _, id := range ids {
			if len(id) != 22 || strings.Trim(id, "0123456789") == "" {
				t.Fatalf("ID %q is not opaque", id)
			}
		}

		n := res.Products.Edges[0].Node
		nodeIDs := []string{n.ID, n.Merchant.ID, n.Reviews.Edges[0].Node.ID, n.Reviews.Edges[0].Node.Author.ID}
		var nodes struct {
			Nodes []struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		e.Post(t, "", `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": nodeIDs}).Decode(t, &nodes)
		types := []string{}
		for i, x := range nodes.Nodes {
			if x.ID != nodeIDs[i] {
				t.Fatalf("nodes[%d] = %s", i, x.ID)
			}
			types = append(types, x.Typename)
		}
		if strings.Join(types, ",") != "Product,Merchant,Review,User" {
			t.Fatalf("types %v", types)
		}
		var one struct{ Node struct{ Nickname string } }
		e.Post(t, "", `query($id: ID!) { node(id: $id) { ... on User { nickname } } }`,
			map[string]any{"id": n.Reviews.Edges[0].Node.Author.ID}).Decode(t, &one)
		if one.Node.Nickname != n.Reviews.Edges[0].Node.Author.Nickname {
			t.Fatalf("user node: %+v", one)
		}

		// One changed character is not some other row.
		forged := []byte(n.ID)
		forged[3] ^= 1
		r := e.Post(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": string(forged)})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("forged ID: %+v", r.Errors)
		}
		r = e.Post(t, "", `{ products(first: 1, after: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") { totalCount } }`, nil)
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("forged cursor: %+v", r.Errors)
		}
		// An ID of a deleted row is NOT_FOUND.
		missing := e.Codec.EncodeID(1 << 40)
		r = e.Post(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing})
		if r.Code() != "NOT_FOUND" {
			t.Fatalf("unknown ID: %+v", r.Errors)
		}
		// Users cannot be filtered or sorted, and the public profile has no phone.
		for _, q := range []string{`{ __type(name: "UserWhereInput") { name } }`, `{ __type(name: "UserOrder") { name } }`} {
			var ty struct {
				Type *struct{ Name string } `json:"__type"`
			}
			e.Post(t, "", q, nil).Decode(t, &ty)
			if ty.Type != nil {
				t.Fatalf("%s exists", ty.Type.Name)
			}
		}
		var fields struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
		e.Post(t, "", `{ __type(name: "User") { fields { name } } }`, nil).Decode(t, &fields)
		raw, _ := json.Marshal(fields)
		if strings.Contains(string(raw), "phone") || strings.Contains(string(raw), "birth") || strings.Contains(string(raw), "createdAt") {
			t.Fatalf("User exposes %s", raw)
		}
	})
}

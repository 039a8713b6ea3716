package seed_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"math"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/seed"
)

func keys(t *testing.T) vault.Keys {
	t.Helper()
	k, _, err := vault.Load("t1:"+vault.NewKey(), vault.NewKey(), "", true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type counts struct{ merchants, products, reviews, users int }

func count(t *testing.T, db *store.DB) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	var err error
	if c.merchants, err = db.Client.Merchant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if c.products, err = db.Client.Product.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if c.reviews, err = db.Client.Review.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if c.users, err = db.Client.User.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

var now = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

func TestIfEmptyLoadsOnceAndConsistently(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := keys(t)

		st, loaded, err := seed.IfEmpty(ctx, db.Client, k, now)
		if err != nil {
			t.Fatal(err)
		}
		if !loaded {
			t.Fatal("loaded = false on an empty database")
		}
		if st.Products < 1000 || st.Merchants != 40 || st.Reviews < 1 || st.Users != seed.DemoUsers {
			t.Fatalf("stats = %+v", st)
		}
		if st.Merchants*seed.ProductsPerShop != st.Products {
			t.Fatalf("stats = %+v: %d products per shop expected", st, seed.ProductsPerShop)
		}
		c := count(t, db)
		if c != (counts{st.Merchants, st.Products, st.Reviews, st.Users}) {
			t.Fatalf("database holds %+v, stats say %+v", c, st)
		}

		// A second call loads nothing.
		st2, loaded2, err := seed.IfEmpty(ctx, db.Client, k, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if loaded2 || st2 != (seed.Stats{}) {
			t.Fatalf("second call: loaded=%v stats=%+v", loaded2, st2)
		}
		if c2 := count(t, db); c2 != c {
			t.Fatalf("second call changed the counts: %+v → %+v", c, c2)
		}

		checkRatings(t, db)
		checkPhones(t, db, k)
		checkTimes(t, db)
	})
}

// checkRatings compares each product's rating and review_count with its
// reviews.
func checkRatings(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.SQL.Query(`
		SELECT p.id, p.rating, p.review_count, COUNT(r.id), COALESCE(SUM(r.rating), 0)
		FROM products p LEFT JOIN reviews r ON r.product_id = p.id
		GROUP BY p.id, p.rating, p.review_count`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, bad, withReviews, without := 0, 0, 0, 0
	for rows.Next() {
		var (
			id, reviewCount, cnt, sum int
			rating                    float64
		)
		if err := rows.Scan(&id, &rating, &reviewCount, &cnt, &sum); err != nil {
			t.Fatal(err)
		}
		n++
		want := 0.0
		if cnt > 0 {
			want = math.Round(float64(sum)/float64(cnt)*10) / 10
			withReviews++
		} else {
			without++
		}
		if reviewCount != cnt || math.Abs(rating-want) > 1e-9 {
			bad++
			if bad <= 5 {
				t.Errorf("product %d: rating %v, review_count %d; its %d reviews sum to %d (average %v)",
					id, rating, reviewCount, cnt, sum, want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d products disagree with their reviews", bad, n)
	}
	if withReviews == 0 || without == 0 {
		t.Errorf("products with reviews: %d, without: %d; want both kinds", withReviews, without)
	}
}

// checkPhones: the demo users' numbers are stored sealed, never in the
// clear, and are found by their keyed hash.
func checkPhones(t *testing.T, db *store.DB, k vault.Keys) {
	t.Helper()
	ctx := context.Background()
	seen := map[int]bool{}
	for i := range seed.DemoUsers {
		p := seed.DemoPhone(i)
		if len(p) != 11 || p[:3] != "199" {
			t.Fatalf("DemoPhone(%d) = %q", i, p)
		}
		u, err := db.Client.User.Query().Where(user.PhoneHash(k.Index.Hash("phone", p))).Only(ctx)
		if err != nil {
			t.Fatalf("demo user %d (%s) by phone hash: %v", i, p, err)
		}
		if seen[u.ID] {
			t.Fatalf("two demo numbers find user %d", u.ID)
		}
		seen[u.ID] = true
		c := u.PhoneCipher
		if string(c) == p || bytes.Contains(c, []byte(p)) || bytes.Contains(c, []byte(p[3:])) ||
			bytes.Contains(c, []byte(hex.EncodeToString([]byte(p)))) ||
			bytes.Contains(c, []byte(base64.StdEncoding.EncodeToString([]byte(p)))) {
			t.Fatalf("user %d: phone_cipher %q holds the number %s", u.ID, c, p)
		}
		// A vault value sealed with the primary key: id length, id, 12-byte
		// nonce, then the 11 digits and a 16-byte tag.
		if id, err := vault.KeyID(c); err != nil || id != "t1" {
			t.Fatalf("user %d: phone_cipher sealed with %q, %v; want t1", u.ID, id, err)
		}
		if want := 1 + len("t1") + 12 + len(p) + 16; len(c) != want {
			t.Fatalf("user %d: phone_cipher is %d bytes, want %d", u.ID, len(c), want)
		}
		if u.Nickname == "" {
			t.Fatalf("user %d has no nickname", u.ID)
		}
		if age := account.Age(u.BirthDate, now); age < account.MinimumAge {
			t.Fatalf("demo user %d is %d, under the minimum age", u.ID, age)
		}
	}
	// Only the demo users exist, and no cipher is repeated (random nonces).
	all, err := db.Client.User.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ciphers := map[string]bool{}
	for _, u := range all {
		if !seen[u.ID] {
			t.Fatalf("user %d is not a demo number", u.ID)
		}
		if ciphers[string(u.PhoneCipher)] {
			t.Fatal("two users share a phone_cipher")
		}
		ciphers[string(u.PhoneCipher)] = true
	}
}

// checkTimes: nothing is dated after now, and reviews come after their
// product.
func checkTimes(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	ps, err := db.Client.Product.Query().WithReviews().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.CreatedAt.After(now) {
			t.Fatalf("product %d created %s, after now", p.ID, p.CreatedAt)
		}
		for _, r := range p.Edges.Reviews {
			if r.CreatedAt.Before(p.CreatedAt) || r.CreatedAt.After(now) {
				t.Fatalf("review %d dated %s, product %d created %s", r.ID, r.CreatedAt, p.ID, p.CreatedAt)
			}
		}
	}
}

func TestIfEmptySkipsWhenMerchantsExist(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Client.Merchant.Create().SetName("已有商户").SetCampus("清华大学").SetLocation("东门").Save(ctx); err != nil {
			t.Fatal(err)
		}
		st, loaded, err := seed.IfEmpty(ctx, db.Client, keys(t), now)
		if err != nil || loaded || st != (seed.Stats{}) {
			t.Fatalf("IfEmpty = %+v, %v, %v", st, loaded, err)
		}
		if c := count(t, db); c != (counts{merchants: 1}) {
			t.Fatalf("counts = %+v", c)
		}
	})
}

// The data set is deterministic: the same products in the same order on
// every run.
func TestIfEmptyIsDeterministic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		other := testdb.Open(t, db.Dialect, testdb.Options{})
		for _, d := range []*store.DB{db, other} {
			if _, loaded, err := seed.IfEmpty(ctx, d.Client, keys(t), now); err != nil || !loaded {
				t.Fatalf("IfEmpty: %v %v", loaded, err)
			}
		}
		a, err := db.Client.Product.Query().Order(product.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := other.Client.Product.Query().Order(product.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%d vs %d products", len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || a[i].PriceFen != b[i].PriceFen || a[i].Rating != b[i].Rating ||
				a[i].ReviewCount != b[i].ReviewCount || !a[i].CreatedAt.Equal(b[i].CreatedAt) {
				t.Fatalf("product %d differs: %+v vs %+v", i, a[i], b[i])
			}
		}
	})
}

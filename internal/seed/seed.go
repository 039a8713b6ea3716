// Package seed loads the demo data set into an empty database: campus
// merchants, over a thousand products with reviews, and the demo users who
// wrote them. It is deterministic, so demo IDs and pages look the same on
// every machine with the same keys.
package seed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Sizes of the demo data set.
const (
	ShopsPerCampus   = 5
	ProductsPerShop  = 30
	DemoUsers        = 30
	maxReviewsPerRow = 6
	batch            = 200
)

// Stats says what was loaded.
type Stats struct {
	Merchants, Products, Reviews, Users int
}

// DemoPhone is the phone number of demo user i. 199 is a real mobile
// prefix: the demo data is therefore never loaded in production.
func DemoPhone(i int) string { return fmt.Sprintf("1990000%04d", i) }

// Demo accounts with roles, for trying each side in the playground: staff
// (publishing a policy, revealing with a reason), the merchant who runs the
// first shop, and a runner who delivers.
var (
	StaffPhone    = DemoPhone(DemoUsers - 1)
	MerchantPhone = DemoPhone(DemoUsers - 2)
	RunnerPhone   = DemoPhone(DemoUsers - 3)
)

// policySeq is the policy version the demo users accepted (the first).
const policySeq, policyVersion = 1, "2024-02-22"

// IfEmpty loads the demo data when there are no merchants yet; otherwise it
// does nothing. Everything is written in one transaction.
func IfEmpty(ctx context.Context, client *ent.Client, keys vault.Keys, now time.Time) (Stats, bool, error) {
	n, err := client.Merchant.Query().Count(ctx)
	if err != nil || n > 0 {
		return Stats{}, false, err
	}
	var st Stats
	err = store.WithTx(ctx, client, func(tx *ent.Tx) error {
		st, err = load(ctx, tx, keys, now)
		return err
	})
	return st, err == nil, err
}

func load(ctx context.Context, tx *ent.Tx, keys vault.Keys, now time.Time) (Stats, error) {
	r := rand.New(rand.NewPCG(2026, 9))
	var st Stats

	users := make([]*ent.UserCreate, DemoUsers)
	for i := range users {
		hash, sealed := account.SealPhone(keys, DemoPhone(i))
		users[i] = tx.User.Create().
			SetPhoneHash(hash).SetPhoneCipher(sealed).
			SetNickname(nicknames[i%len(nicknames)]).
			SetBirthDate(time.Date(1998+r.IntN(9), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)).
			SetAcceptedPolicySeq(policySeq).
			SetCreatedAt(now.Add(-time.Duration(200+r.IntN(300)) * 24 * time.Hour))
		switch DemoPhone(i) {
		case StaffPhone:
			users[i].SetNickname("运营小助手").SetRole(user.RoleSTAFF)
		case MerchantPhone:
			users[i].SetNickname("紫荆店长").SetRole(user.RoleMERCHANT)
		case RunnerPhone:
			users[i].SetNickname("跑腿小哥").SetRole(user.RoleRUNNER)
		}
	}
	us, err := tx.User.CreateBulk(users...).Save(ctx)
	if err != nil {
		return st, fmt.Errorf("seed users: %w", err)
	}
	st.Users = len(us)
	acceptances := make([]*ent.PolicyAcceptanceCreate, len(us))
	for i, u := range us {
		acceptances[i] = tx.PolicyAcceptance.Create().SetUserID(u.ID).SetPolicySeq(policySeq).
			SetVersion(policyVersion).SetChannel(policyacceptance.ChannelREGISTRATION).SetCreatedAt(u.CreatedAt)
	}
	if err := tx.PolicyAcceptance.CreateBulk(acceptances...).Exec(ctx); err != nil {
		return st, fmt.Errorf("seed acceptances: %w", err)
	}
	authors := us[:len(us)-3] // staff, merchant and runner write no reviews
	owner := us[DemoUsers-2].ID

	var merchants []*ent.MerchantCreate
	var kinds []shopKind
	for ci, c := range campuses {
		for s := range ShopsPerCampus {
			k := shopKinds[(ci+s)%len(shopKinds)]
			kinds = append(kinds, k)
			lat, lng := c.lat+(r.Float64()-0.5)*0.01, c.lng+(r.Float64()-0.5)*0.01
			merchants = append(merchants, tx.Merchant.Create().
				SetName(shopPrefixes[(ci*ShopsPerCampus+s)%len(shopPrefixes)]+k.suffix).
				SetCampus(c.name).
				SetLocation(spots[r.IntN(len(spots))]).
				SetLatitude(lat).SetLongitude(lng).
				SetDescription(fmt.Sprintf("%s的校园%s，支持送到宿舍楼下。", c.name, k.suffix)).
				SetContact(fmt.Sprintf("门店电话 0%d-6%03d-%04d", 10+ci, r.IntN(1000), r.IntN(10000))).
				SetCreatedAt(now.Add(-time.Duration(300+r.IntN(400))*24*time.Hour)))
		}
	}
	merchants[0].SetOwnerID(owner)
	ms, err := tx.Merchant.CreateBulk(merchants...).Save(ctx)
	if err != nil {
		return st, fmt.Errorf("seed merchants: %w", err)
	}
	st.Merchants = len(ms)

	type planned struct {
		create  *ent.ProductCreate
		ratings []int
		created time.Time
	}
	var plan []planned
	for mi, m := range ms {
		for range ProductsPerShop {
			cat := kinds[mi].categories[r.IntN(len(kinds[mi].categories))]
			it := items[cat][r.IntN(len(items[cat]))]
			price := (it.minFen + r.Int64N(it.maxFen-it.minFen+1)) / 10 * 10
			created := now.Add(-time.Duration(r.IntN(180*24*60)) * time.Minute)
			ratings := make([]int, r.IntN(maxReviewsPerRow+1))
			sum := 0
			for i := range ratings {
				ratings[i] = rating(r)
				sum += ratings[i]
			}
			avg := 0.0
			if len(ratings) > 0 {
				avg = math.Round(float64(sum)/float64(len(ratings))*10) / 10
			}
			images := make([]string, 1+r.IntN(3))
			for i := range images {
				images[i] = fmt.Sprintf("https://img.tongxue.example/p/%d-%d.jpg", len(plan), i)
			}
			plan = append(plan, planned{
				ratings: ratings, created: created,
				create: tx.Product.Create().
					SetMerchantID(m.ID).
					SetName(it.name + variants[r.IntN(len(variants))]).
					SetDescription(it.description).
					SetPriceFen(price).
					SetStock(r.IntN(200)).
					SetCategory(product.Category(cat)).
					SetImages(images).
					SetStudentOnly(r.IntN(100) < 15).
					SetRating(avg).SetReviewCount(len(ratings)).
					SetCreatedAt(created),
			})
		}
	}
	var reviews []*ent.ReviewCreate
	for start := 0; start < len(plan); start += batch {
		end := min(start+batch, len(plan))
		creates := make([]*ent.ProductCreate, 0, end-start)
		for _, p := range plan[start:end] {
			creates = append(creates, p.create)
		}
		ps, err := tx.Product.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return st, fmt.Errorf("seed products: %w", err)
		}
		for i, p := range ps {
			pl := plan[start+i]
			for _, stars := range pl.ratings {
				texts := reviewTexts[stars]
				age := now.Sub(pl.created)
				reviews = append(reviews, tx.Review.Create().
					SetProductID(p.ID).
					SetAuthorID(authors[r.IntN(len(authors))].ID).
					SetRating(stars).
					SetText(texts[r.IntN(len(texts))]).
					SetCreatedAt(pl.created.Add(time.Duration(r.Float64()*float64(age)))))
			}
		}
		st.Products += len(ps)
	}
	for start := 0; start < len(reviews); start += batch {
		end := min(start+batch, len(reviews))
		if err := tx.Review.CreateBulk(reviews[start:end]...).Exec(ctx); err != nil {
			return st, fmt.Errorf("seed reviews: %w", err)
		}
	}
	st.Reviews = len(reviews)
	return st, nil
}

// rating leans positive, as campus shop reviews do.
func rating(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 50:
		return 5
	case x < 80:
		return 4
	case x < 92:
		return 3
	case x < 97:
		return 2
	default:
		return 1
	}
}

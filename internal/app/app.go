// Package app assembles the services of the server from their parts, once:
// the program (server.go) and the tests (internal/apitest) build the same
// graph of dependencies with different parts (real or sandbox providers).
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/internal/address"
	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/bank"
	"github.com/tongxue/tongxue/internal/cart"
	"github.com/tongxue/tongxue/internal/errands"
	"github.com/tongxue/tongxue/internal/feedback"
	"github.com/tongxue/tongxue/internal/gid"
	"github.com/tongxue/tongxue/internal/media"
	"github.com/tongxue/tongxue/internal/orders"
	"github.com/tongxue/tongxue/internal/payment"
	"github.com/tongxue/tongxue/internal/pictures"
	"github.com/tongxue/tongxue/internal/privacy"
	"github.com/tongxue/tongxue/internal/pubsub"
	"github.com/tongxue/tongxue/internal/sms"
	"github.com/tongxue/tongxue/internal/starcard"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/student"
	"github.com/tongxue/tongxue/internal/studentverify"
	"github.com/tongxue/tongxue/internal/throttle"
	"github.com/tongxue/tongxue/internal/vault"
	"github.com/tongxue/tongxue/internal/wow"
)

// Parts are what varies between deployments and tests.
type Parts struct {
	DB       *store.DB
	Keys     vault.Keys
	Log      *slog.Logger
	SMS      sms.Sender
	Payment  payment.Provider
	Verifier studentverify.Provider
	Bank     bank.Bank
	Media    media.Store
	Bus      pubsub.Bus
	Now      func() time.Time

	Production     bool
	AllowedOrigins []string
	TrustProxy     bool
	PublicURL      string        // base URL the payment provider calls back
	PaymentWindow  time.Duration // 0: 15 minutes
	// Throttle is the per-client budgets; nil: throttle.DefaultBudgets().
	Throttle *throttle.Budgets
}

// Build wires every service and returns the API's dependencies. It makes
// sure the first privacy policy version exists.
func Build(ctx context.Context, p Parts) (api.Deps, error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	codec, err := gid.NewCodec(p.Keys.Index.Secret("relay-id"))
	if err != nil {
		return api.Deps{}, err
	}
	priv := privacy.New(p.DB.Client, p.Now, p.Log)
	if err := priv.Bootstrap(ctx); err != nil {
		return api.Deps{}, err
	}
	students := student.New(p.DB.Client, p.Keys, p.Verifier, p.Now, p.Log)
	authSvc := auth.New(p.DB.Client, p.Keys, p.SMS, priv, p.Now, p.Log)
	cards, err := starcard.NewCards(p.DB.Client, p.Keys.Index.Secret("credential-signing/k1"), students, p.Now)
	if err != nil {
		return api.Deps{}, err
	}
	ords := orders.New(p.DB.Client, p.Keys.Ring, p.Bus, p.Payment, students, priv,
		orders.Config{PaymentWindow: p.PaymentWindow, NotifyBaseURL: p.PublicURL}, p.Now, p.Log)
	ords.StreamFrom(p.DB.Live)
	pics, err := pictures.NewAccess(p.DB.Client, p.Keys.Index.Secret(pictures.SecretLabel), p.Now)
	if err != nil {
		return api.Deps{}, err
	}
	wows := wow.New(p.DB.Client, p.DB.Dialect, p.Media, p.Bus, priv, p.Keys.Ring, pics, p.Now, p.Log)
	wows.StreamFrom(p.DB.Live)
	if err := wows.SealLegacyLocations(ctx); err != nil { // posts.location before it was sealed
		return api.Deps{}, err
	}
	budgets := throttle.DefaultBudgets()
	if p.Throttle != nil {
		budgets = *p.Throttle
	}
	return api.Deps{
		DB:             p.DB,
		Auth:           authSvc,
		Sessions:       authSvc.WatchSessions(p.Bus),
		Privacy:        priv,
		Feedback:       feedback.New(p.DB.Client, p.Keys.Ring, p.Now),
		Carts:          cart.New(p.DB.Client, p.Now),
		Addresses:      address.New(p.DB.Client, p.Keys.Ring, p.Now),
		Orders:         ords,
		Students:       students,
		Wows:           wows,
		Errands:        errands.New(p.DB.Client, p.Keys.Ring, p.Media, p.Bus, priv, p.Now, p.Log),
		Cards:          cards,
		Accounts:       starcard.NewAccounts(p.DB.Client, p.Keys.Ring, authSvc, priv, p.Bank, p.Now, p.Log),
		Media:          p.Media,
		Pictures:       pics,
		Bus:            p.Bus,
		Codec:          codec,
		Log:            p.Log,
		Production:     p.Production,
		AllowedOrigins: p.AllowedOrigins,
		TrustProxy:     p.TrustProxy,
		Throttle:       throttle.New(throttle.Config{Budgets: budgets, Index: p.Keys.Index, Now: p.Now, Log: p.Log, DB: p.DB}),
	}, nil
}

// Package app assembles the services of the server from their parts, once:
// the program (server.go) and the tests (internal/apitest) build the same
// graph of dependencies with different parts (real or sandbox providers).
// The result, Services, is what the HTTP API (internal/api) and the
// resolvers (resolvers.Resolver embeds it) take as it is, so a part given
// here (the clock, say) is the one every layer uses.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/bankaccounts"
	"github.com/tongxue/tongxue/internal/domain/cart"
	"github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/domain/errands"
	"github.com/tongxue/tongxue/internal/domain/feedback"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/orders"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/domain/starcard"
	"github.com/tongxue/tongxue/internal/domain/student"
	"github.com/tongxue/tongxue/internal/domain/wow"
	"github.com/tongxue/tongxue/internal/infra/gid"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/throttle"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/payment"
	"github.com/tongxue/tongxue/internal/partners/sms"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
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
	Now      func() time.Time // nil: time.Now

	Web           Web
	PublicURL     string        // base URL the payment provider calls back
	PaymentWindow time.Duration // 0: 15 minutes
	// Throttle is the per-client budgets; nil: throttle.DefaultBudgets().
	Throttle *throttle.Budgets
}

// Web is how the HTTP API behaves in a deployment.
type Web struct {
	Production     bool     // no playground, no introspection
	AllowedOrigins []string // web origins (websockets and CORS) besides the server's own host
	TrustProxy     bool     // client IP from X-Forwarded-For (behind a load balancer)
}

// Services are every service of the server, each once.
type Services struct {
	*store.DB    // the resolvers' own reads use Client
	Auth         *auth.Service
	Accounts     *account.Service
	Sessions     *auth.SessionEnds // closes a session's websockets when it ends
	Privacy      *privacy.Service
	Feedbacks    *feedback.Service
	Carts        *cart.Service
	Addresses    *address.Service
	Orders       *orders.Service
	Students     *student.Service
	Wows         *wow.Service
	Errands      *errands.Service
	Cards        *starcard.Cards
	BankAccounts *bankaccounts.Service
	Exports      *dataexport.Service
	Rights       *rights.Service // rights requests with their 15-working-day clock (R2, R7, R8, K2)
	Media        media.Store
	Pictures     *media.Access // who may fetch which picture; signed URLs
	Bus          pubsub.Bus
	Codec        *gid.Codec
	Throttle     *throttle.Limiter // per-client budgets for every operation; nil: none
	Now          func() time.Time
	Log          *slog.Logger
	Web          Web

	// Account cancellation: the request, the cooling-off period, CancelDue (R3, A5).
	Cancellations *account.Cancellations
}

// Build wires every service. It makes sure the first privacy policy
// version exists.
func Build(ctx context.Context, p Parts) (*Services, error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	codec, err := gid.NewCodec(p.Keys.Index.Secret("relay-id"))
	if err != nil {
		return nil, err
	}
	priv := privacy.New(p.DB.Client, p.Now, p.Log)
	if err := priv.Bootstrap(ctx); err != nil {
		return nil, err
	}
	students := student.New(student.Deps{Client: p.DB.Client, Keys: p.Keys, Verifier: p.Verifier, Privacy: priv, Now: p.Now, Log: p.Log})
	if err := students.ForgetWithdrawn(ctx); err != nil { // documents left by withdrawals before they erased them
		return nil, err
	}
	authSvc := auth.New(auth.Deps{Client: p.DB.Client, Keys: p.Keys, SMS: p.SMS, Policy: priv, Now: p.Now, Log: p.Log})
	cards, err := starcard.NewCards(p.DB.Client, p.Keys.Index.Secret("credential-signing/k1"), students, p.Now)
	if err != nil {
		return nil, err
	}
	pics, err := media.NewAccess(p.DB.Client, p.Keys.Index.Secret(media.SecretLabel), p.Now)
	if err != nil {
		return nil, err
	}
	wows := wow.New(wow.Deps{DB: p.DB, Media: p.Media, Bus: p.Bus, Privacy: priv, Ring: p.Keys.Ring,
		Pictures: pics, Now: p.Now, Log: p.Log})
	if err := wows.SealLegacyLocations(ctx); err != nil { // posts.location before it was sealed
		return nil, err
	}
	budgets := throttle.DefaultBudgets()
	if p.Throttle != nil {
		budgets = *p.Throttle
	}
	return &Services{
		DB:        p.DB,
		Auth:      authSvc,
		Accounts:  account.New(p.DB.Client, p.Keys, p.Now),
		Sessions:  authSvc.WatchSessions(p.Bus),
		Privacy:   priv,
		Feedbacks: feedback.New(p.DB.Client, p.Keys.Ring, p.Now),
		Carts:     cart.New(p.DB.Client, p.Now),
		Addresses: address.New(p.DB.Client, p.Keys.Ring, p.Now),
		Orders: orders.New(orders.Deps{DB: p.DB, Ring: p.Keys.Ring, Bus: p.Bus, Payment: p.Payment,
			Students: students.ForOffers(), Privacy: priv, Now: p.Now, Log: p.Log,
			Config: orders.Config{PaymentWindow: p.PaymentWindow, NotifyBaseURL: p.PublicURL}}),
		Cancellations: account.NewCancellations(account.CancellationDeps{DB: p.DB, Keys: p.Keys, Sessions: authSvc,
			Bank: p.Bank, Media: p.Media, Now: p.Now, Log: p.Log}),
		Students: students,
		Wows:     wows,
		Errands: errands.New(errands.Deps{Client: p.DB.Client, Ring: p.Keys.Ring, Media: p.Media, Bus: p.Bus,
			Privacy: priv, Now: p.Now, Log: p.Log}),
		Cards: cards,
		BankAccounts: bankaccounts.New(bankaccounts.Deps{Client: p.DB.Client, Ring: p.Keys.Ring,
			Privacy: priv, Bank: p.Bank, Now: p.Now, Log: p.Log}),
		Exports: dataexport.New(dataexport.Deps{DB: p.DB, Keys: p.Keys, Media: p.Media, Now: p.Now, Log: p.Log,
			BaseURL: p.PublicURL}),
		Rights:   rights.New(rights.Deps{Client: p.DB.Client, Keys: p.Keys, Now: p.Now, Log: p.Log}),
		Media:    p.Media,
		Pictures: pics,
		Bus:      p.Bus,
		Codec:    codec,
		Throttle: throttle.New(throttle.Config{Budgets: budgets, Index: p.Keys.Index, Now: p.Now, Log: p.Log, DB: p.DB}),
		Now:      p.Now,
		Log:      p.Log,
		Web:      p.Web,
	}, nil
}

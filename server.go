// Command tongxue serves the campus app's GraphQL graph.
//
//	make run                 # SQLite under ./data, demo data, playground at http://localhost:8080/
//	TONGXUE_LISTEN=127.0.0.1:8080 ./tongxue  # this machine only (PORT=8080 alone: every interface)
//	DATABASE_URL=postgres://... TONGXUE_ENV=production ./tongxue -seed=false
//	tongxue rotate-keys      # re-seal personal data under the first key of TONGXUE_DATA_KEYS
//	tongxue privacy-catalog  # print docs/privacy-catalog.md
//	tongxue retention --dry-run  # print what the retention rules would delete now, rule by rule
//	tongxue retention        # carry them out once (every server also runs them hourly)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/config"
	"github.com/tongxue/tongxue/internal/infra/logging"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/throttle"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/payment"
	"github.com/tongxue/tongxue/internal/partners/sms"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
	"github.com/tongxue/tongxue/internal/seed"
	"github.com/tongxue/tongxue/internal/tools/privacycatalog"
	"github.com/tongxue/tongxue/internal/tools/rotatekeys"
	"github.com/tongxue/tongxue/resolvers"
)

func main() {
	seedDemo := flag.Bool("seed", true, "load the demo data set when the database is empty")
	batch := flag.Int("batch", 500, "rotate-keys: rows per batch")
	flag.Parse()
	var err error
	switch cmd := flag.Arg(0); cmd {
	case "", "serve":
		err = run(*seedDemo)
	case "rotate-keys":
		err = rotateKeys(*batch)
	case "retention":
		err = runRetention(flag.Args()[1:])
	case "privacy-catalog":
		var md string
		if md, err = privacycatalog.Markdown(resolvers.NewSchema(resolvers.New(&app.Services{})).Schema()); err == nil {
			_, err = os.Stdout.WriteString(md)
		}
	default:
		err = fmt.Errorf("unknown command %q (serve, rotate-keys, privacy-catalog, retention)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tongxue:", err)
		os.Exit(1)
	}
}

// rotateKeys re-seals personal data under the primary data key while the
// servers keep serving.
func rotateKeys(batch int) error {
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	keys, _, err := vault.Load(cfg.DataKeys, cfg.IndexKey, cfg.DataDir, cfg.IsProduction())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := rotatekeys.Rotate(ctx, db, keys.Ring, max(batch, 1), log)
	if err != nil {
		return err
	}
	log.Info("key rotation done", "primary", keys.Ring.PrimaryID(), "scanned", st.Scanned, "resealed", st.Resealed, "skipped", st.Skipped)
	return nil
}

func run(seedDemo bool) error {
	started := time.Now()
	tuneGC()
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	slog.SetDefault(log) // libraries' log.Printf goes through the redaction too
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// The SQLite file, the development keys and the pictures live here.
	if err := store.PrepareDataDir(cfg.DataDir); err != nil {
		return err
	}
	keys, generated, err := vault.Load(cfg.DataKeys, cfg.IndexKey, cfg.DataDir, cfg.IsProduction())
	if err != nil {
		return err
	}
	if generated {
		log.Warn("no TONGXUE_DATA_KEYS/TONGXUE_INDEX_KEY: using development keys from the data folder; never do this in production",
			"file", cfg.DataDir+"/dev-keys")
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{MaxOpenConns: cfg.MaxOpenConns})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	parts, err := thirdParties(ctx, cfg, db, keys, log)
	if err != nil {
		return err
	}
	defer parts.Bus.Close()
	services, err := app.Build(ctx, parts) // also publishes the first policy version
	if err != nil {
		return err
	}
	if err := loadDemo(ctx, seedDemo, cfg, db, keys, log); err != nil {
		return err
	}
	// Housekeeping ends before the bus and the database close.
	var jobs sync.WaitGroup
	jobsCtx, endJobs := context.WithCancel(ctx)
	defer jobs.Wait()
	defer endJobs()
	jobs.Go(func() { every(jobsCtx, 10*time.Minute, log, "sweep", services.Auth.Sweep) })
	jobs.Go(func() { services.Sessions.Run(jobsCtx) })
	jobs.Go(func() { services.Throttle.Run(jobsCtx) }) // shares rate-limit budgets between instances (PostgreSQL)
	jobs.Go(func() {
		every(jobsCtx, 30*time.Second, log, "expire unpaid orders", func(ctx context.Context) error {
			_, err := services.Orders.ExpireUnpaid(ctx, 500)
			return err
		})
	})
	housekeeping, err := retentionRunner(services)
	if err != nil {
		return err
	}
	jobs.Go(func() {
		every(jobsCtx, time.Hour, log, "retention", func(ctx context.Context) error {
			_, err := housekeeping.Run(ctx) // one instance at a time; the others skip the round
			return err
		})
	})
	jobs.Go(func() {
		every(jobsCtx, 10*time.Second, log, "build exports", func(ctx context.Context) error {
			_, err := services.Exports.BuildPending(ctx, 10)
			return err
		})
	})
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	handler := api.NewHandler(services)
	// Websockets are hijacked connections that Shutdown does not close: they
	// end when this base context is cancelled.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Addr:              cfg.Listen,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	srv.RegisterOnShutdown(cancelBase)
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	url, where := serveURL(ln.Addr(), !cfg.IsProduction())
	log.Info("serving", "addr", ln.Addr().String(), "url", url, "interfaces", where, "env", cfg.Env,
		"database", db.Dialect, "playground", !cfg.IsProduction(), "startup_ms", time.Since(started).Milliseconds())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveURL is an address to click in the start-up log (the playground, or
// /graphql in production) and which interfaces addr listens on: on all of
// them, localhost reaches the server.
func serveURL(addr net.Addr, playground bool) (url, interfaces string) {
	path := "/"
	if !playground {
		path = "/graphql"
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "", addr.String()
	}
	port := strconv.Itoa(tcp.Port)
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("localhost", port) + path, "all"
	}
	ip := tcp.IP.String()
	return "http://" + net.JoinHostPort(ip, port) + path, "only " + ip
}

// tuneGC lets the heap grow to eleven times what is live before collecting
// (GOGC=1000) unless GOGC is set: a request's garbage is short-lived and the
// live heap small (tens of MB), so the default of 100 collected several
// times a second under load and cost a fifth of the home read's CPU (400:
// +100 % req/s over 100; 1000: +6-12 % more, about 200 MB resident under
// load). A soft limit of 512 MiB, unless GOMEMLIMIT is set, makes the
// collector run sooner rather than let a burst take the machine's memory.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(1000)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(512 << 20)
	}
}

// loadDemo loads the demo data set into an empty database, never in
// production: it has a staff account and numbers anyone could hold.
func loadDemo(ctx context.Context, want bool, cfg config.Config, db *store.DB, keys vault.Keys, log *slog.Logger) error {
	if !want {
		return nil
	}
	if cfg.IsProduction() {
		log.Info("demo data is never loaded in production")
		return nil
	}
	st, loaded, err := seed.IfEmpty(ctx, db.Client, keys, time.Now())
	if err == nil && loaded {
		log.Info("demo data loaded", "merchants", st.Merchants, "products", st.Products,
			"reviews", st.Reviews, "users", st.Users)
	}
	return err
}

// every runs a housekeeping job on a timer until ctx ends. Jobs are safe
// to run on every instance at once.
func every(ctx context.Context, d time.Duration, log *slog.Logger, name string, job func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				log.Error(name, "err", err)
			}
		}
	}
}

// thirdParties builds the SMS sender, payment provider, student
// verification provider and event bus the configuration names.
func thirdParties(ctx context.Context, cfg config.Config, db *store.DB, keys vault.Keys, log *slog.Logger) (app.Parts, error) {
	sender, err := smsSender(cfg, log)
	if err != nil {
		return app.Parts{}, err
	}
	p := app.Parts{
		DB: db, Keys: keys, Log: log, SMS: sender, Now: time.Now,
		Web:       app.Web{Production: cfg.IsProduction(), AllowedOrigins: cfg.AllowedOrigins, TrustProxy: cfg.TrustProxy},
		PublicURL: cfg.PublicURL,
	}
	if cfg.RateLimits == "load-test" {
		generous := throttle.Generous()
		p.Throttle = &generous
		log.Warn("TONGXUE_RATE_LIMITS=load-test: per-client budgets no client reaches")
	}
	if cfg.Payment == "http" {
		p.Payment, err = payment.NewHTTP(payment.HTTPConfig{Name: "pay", BaseURL: cfg.PaymentURL,
			AppID: cfg.PaymentMchID, Secret: cfg.PaymentSecret, Retries: 2})
		if err != nil {
			return p, err
		}
	} else {
		p.Payment = payment.NewSandbox("sandbox", keys.Index.Secret("sandbox-payment"), cfg.PublicURL+"/sandbox-pay")
	}
	if cfg.Verifier == "http" {
		p.Verifier, err = studentverify.NewHTTP(studentverify.HTTPConfig{Name: "chsi", BaseURL: cfg.VerifierURL,
			AppID: cfg.VerifierAppID, Secret: cfg.VerifierSecret, Retries: 2})
		if err != nil {
			return p, err
		}
	} else {
		p.Verifier = studentverify.NewSandbox()
	}
	if cfg.Bank == "http" {
		p.Bank, err = bank.NewHTTP(bank.HTTPConfig{Name: "partner-bank", BaseURL: cfg.BankURL,
			AppID: cfg.BankAppID, Secret: cfg.BankSecret, Retries: 2})
		if err != nil {
			return p, err
		}
	} else {
		p.Bank = bank.NewSandbox()
	}
	if p.Media, err = media.NewDirStore(filepath.Join(cfg.DataDir, "media")); err != nil {
		return p, err
	}
	if db.Dialect == dialect.Postgres {
		p.Bus, err = pubsub.NewPostgres(ctx, cfg.DatabaseURL, db.Notify, pubsub.Options{})
	} else {
		p.Bus = pubsub.NewLocal(pubsub.Options{})
	}
	return p, err
}

// smsSender is the configured SMS gateway. The sandbox prints codes for
// development; in production it sends nothing rather than put login codes
// in the logs.
func smsSender(cfg config.Config, log *slog.Logger) (sms.Sender, error) {
	if cfg.SMSSender == "tencent" {
		t := cfg.SMSTencent
		return sms.NewTencent(sms.TencentConfig{
			Config:   partner.Config{BaseURL: t.URL, AppID: t.SecretID, Secret: t.SecretKey, Retries: 1},
			SdkAppID: t.SdkAppID, SignName: t.SignName, Region: t.Region, Templates: t.Templates,
			Required: sms.Templates, CodeMinutes: int(auth.CodeTTL / time.Minute),
		})
	}
	out := io.Writer(os.Stderr)
	if cfg.IsProduction() {
		out = io.Discard
		log.Warn("TONGXUE_SMS=sandbox in production: login codes are not sent, so nobody can log in")
	}
	return sms.NewSandbox(out), nil
}

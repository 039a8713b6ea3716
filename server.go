// Command tongxue serves the campus app's GraphQL graph.
//
//	make run                 # SQLite under ./data, demo data, playground at http://localhost:8080/
//	DATABASE_URL=postgres://... TONGXUE_ENV=production ./tongxue -seed=false
//	tongxue rotate-keys      # re-seal personal data under the first key of TONGXUE_DATA_KEYS
//	tongxue privacy-catalog  # print docs/privacy-catalog.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tongxue/tongxue/internal/api"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/config"
	"github.com/tongxue/tongxue/internal/feedback"
	"github.com/tongxue/tongxue/internal/gid"
	"github.com/tongxue/tongxue/internal/logging"
	"github.com/tongxue/tongxue/internal/privacy"
	"github.com/tongxue/tongxue/internal/seed"
	"github.com/tongxue/tongxue/internal/sms"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/vault"
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
	case "privacy-catalog":
		var md string
		if md, err = privacy.CatalogMarkdown(resolvers.NewSchema(&resolvers.Resolver{}).Schema()); err == nil {
			_, err = os.Stdout.WriteString(md)
		}
	default:
		err = fmt.Errorf("unknown command %q (serve, rotate-keys, privacy-catalog)", cmd)
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
	st, err := privacy.Rotate(ctx, db, keys.Ring, max(batch, 1), log)
	if err != nil {
		return err
	}
	log.Info("key rotation done", "primary", keys.Ring.PrimaryID(), "scanned", st.Scanned, "resealed", st.Resealed, "skipped", st.Skipped)
	return nil
}

func run(seedDemo bool) error {
	started := time.Now()
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
	priv := privacy.New(db.Client, time.Now, log)
	if err := priv.Bootstrap(ctx); err != nil {
		return err
	}
	if seedDemo {
		st, loaded, err := seed.IfEmpty(ctx, db.Client, keys, time.Now())
		if err != nil {
			return err
		}
		if loaded {
			log.Info("demo data loaded", "merchants", st.Merchants, "products", st.Products,
				"reviews", st.Reviews, "users", st.Users)
		}
	}
	codec, err := gid.NewCodec(keys.Index.Secret("relay-id"))
	if err != nil {
		return err
	}
	authSvc := auth.New(db.Client, keys, sms.NewSandbox(os.Stderr), priv, time.Now, log)
	go sweep(ctx, authSvc, log)

	handler := api.NewHandler(api.Deps{
		DB: db, Auth: authSvc, Privacy: priv, Feedback: feedback.New(db.Client, keys.Ring, time.Now),
		Codec: codec, Log: log,
		Production: cfg.IsProduction(), AllowedOrigins: cfg.AllowedOrigins, TrustProxy: cfg.TrustProxy,
	})
	// Websockets are hijacked connections that Shutdown does not close: they
	// end when this base context is cancelled.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Addr:              fmt.Sprintf(":%d", cfg.Port),
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
	log.Info("serving", "addr", ln.Addr().String(), "env", cfg.Env, "database", db.Dialect,
		"playground", !cfg.IsProduction(), "startup_ms", time.Since(started).Milliseconds())

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

// sweep deletes expired log-in codes, sessions and rate-limit windows.
func sweep(ctx context.Context, a *auth.Service, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Error("sweep", "err", err)
			}
		}
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/config"
	"github.com/tongxue/tongxue/internal/infra/logging"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// retentionRunner is the housekeeping runner over the server's services:
// the same clock, picture store and account cancellations.
func retentionRunner(s *app.Services) (*retention.Runner, error) {
	return retention.New(retention.Deps{DB: s.DB, Media: s.Media, Canceller: s.Cancellations, Now: s.Now, Log: s.Log})
}

// runRetention is `tongxue retention [--dry-run]`: the retention rules
// once, as every server runs them hourly (while one runs, the others skip
// the round), or with --dry-run only the counts of what they would delete.
func runRetention(args []string) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "print what would be deleted or anonymised, change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The run holds its lock on a connection of its own.
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	if *dry {
		// Counting needs neither keys nor partners.
		r, err := retention.New(retention.Deps{DB: db, Now: time.Now, Log: log})
		if err != nil {
			return err
		}
		rep, err := r.Plan(ctx)
		if err == nil { // a partial count would understate
			printRetention(os.Stdout, rep, true)
		}
		return err
	}
	keys, _, err := vault.Load(cfg.DataKeys, cfg.IndexKey, cfg.DataDir, cfg.IsProduction())
	if err != nil {
		return err
	}
	parts, err := thirdParties(ctx, cfg, db, keys, log)
	if err != nil {
		return err
	}
	defer parts.Bus.Close()
	services, err := app.Build(ctx, parts)
	if err != nil {
		return err
	}
	r, err := retentionRunner(services)
	if err != nil {
		return err
	}
	rep, err := r.Run(ctx)
	printRetention(os.Stdout, rep, false) // what was done, even when a rule failed
	return err
}

// printRetention writes a report as a table: counts only, never a value.
func printRetention(w io.Writer, rep retention.Report, dry bool) {
	switch {
	case dry:
		fmt.Fprintf(w, "retention plan at %s (dry run: nothing changed)\n", rep.At.Format(time.RFC3339))
	case rep.Skipped:
		fmt.Fprintln(w, "retention: another instance is running the rules; nothing done")
		return
	default:
		fmt.Fprintf(w, "retention run at %s\n", rep.At.Format(time.RFC3339))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\ttable\taction\trows")
	for _, c := range rep.Counts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", c.Rule, c.Table, c.Action, c.Rows)
	}
	fmt.Fprintf(tw, "total\t\t\t%d\n", rep.Total())
	_ = tw.Flush()
}

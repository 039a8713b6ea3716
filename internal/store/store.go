// Package store opens the database: PostgreSQL through lib/pq when a URL is
// given, otherwise an embedded SQLite file (pure Go, no cgo). It migrates the
// schema at start.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // registers "postgres"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/tongxue/tongxue/ent"
	_ "github.com/tongxue/tongxue/ent/runtime" // schema defaults and validators
)

// DB is an open database and the ent client over it.
type DB struct {
	Client *ent.Client
	// Live serves the reads of subscription streams (replays, what events
	// refer to) from a small pool of its own on PostgreSQL, so that live
	// delivery never queues behind a burst of requests for Client's pool.
	// On SQLite it is Client.
	Live    *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.Postgres or dialect.SQLite
	liveSQL *sql.DB
}

// Options bound the connection pool.
type Options struct {
	MaxOpenConns int
	// LiveConns bounds the PostgreSQL pool of DB.Live (default 4).
	LiveConns int
	// WrapDriver, when set, wraps ent's driver (tests count statements).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// Open connects to url (postgres://...) or, when url is empty, to the SQLite
// file tongxue.db in dataDir, creating the folder.
func Open(ctx context.Context, url, dataDir string, opt Options) (*DB, error) {
	if url == "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: data folder: %w", err)
		}
		return OpenSQLite(ctx, SQLiteFileDSN(filepath.Join(dataDir, "tongxue.db")), opt)
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("store: DATABASE_URL must be a postgres:// URL")
	}
	return OpenPostgres(ctx, url, opt)
}

// SQLiteFileDSN is the DSN of a SQLite file with the pragmas the service
// needs: foreign keys (ent's migration requires them), a busy timeout so
// concurrent writers wait instead of failing, WAL so readers never block
// writers, and IMMEDIATE transactions so a transaction takes the write lock
// at BEGIN rather than failing when it upgrades later.
func SQLiteFileDSN(path string) string {
	return "file:" + path + "?" + sqlitePragmas
}

// SQLiteMemoryDSN names a private in-memory database shared by the pool's
// connections (tests).
func SQLiteMemoryDSN(name string) string {
	return "file:" + name + "?mode=memory&cache=shared&" + sqlitePragmas
}

const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// OpenSQLite opens a SQLite database by DSN.
func OpenSQLite(ctx context.Context, dsn string, opt Options) (*DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	db.SetMaxOpenConns(max(opt.MaxOpenConns, 1))
	db.SetMaxIdleConns(max(opt.MaxOpenConns, 1))
	db.SetConnMaxIdleTime(0) // an in-memory database lives as long as a connection does
	return finish(ctx, db, dialect.SQLite, opt)
}

// OpenPostgres opens PostgreSQL through lib/pq with a bounded pool.
func OpenPostgres(ctx context.Context, url string, opt Options) (*DB, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(max(opt.MaxOpenConns, 1))
	db.SetMaxIdleConns(max(opt.MaxOpenConns/2, 1))
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d, err := finish(ctx, db, dialect.Postgres, opt)
	if err != nil {
		return nil, err
	}
	live, err := sql.Open("postgres", url)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	n := cmp.Or(opt.LiveConns, 4)
	live.SetMaxOpenConns(n)
	live.SetMaxIdleConns(n)
	live.SetConnMaxLifetime(30 * time.Minute)
	d.liveSQL, d.Live = live, ent.NewClient(ent.Driver(wrap(entsql.OpenDB(dialect.Postgres, live), opt)))
	return d, nil
}

func wrap(drv dialect.Driver, opt Options) dialect.Driver {
	if opt.WrapDriver != nil {
		return opt.WrapDriver(drv)
	}
	return drv
}

func finish(ctx context.Context, db *sql.DB, name string, opt Options) (*DB, error) {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach the %s database: %w", name, err)
	}
	var drv dialect.Driver = entsql.OpenDB(name, db)
	if name == dialect.SQLite {
		drv = newSQLiteDriver(drv)
	}
	client := ent.NewClient(ent.Driver(wrap(drv, opt)))
	return &DB{Client: client, Live: client, SQL: db, Dialect: name}, nil
}

// Migrate brings the schema up to date.
func (d *DB) Migrate(ctx context.Context) error {
	if err := d.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Ready reports whether the database answers (for /readyz).
func (d *DB) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return d.SQL.PingContext(ctx)
}

// Close closes the client and the pool.
func (d *DB) Close() error {
	if d.liveSQL != nil {
		d.Live.Close()
	}
	return d.Client.Close()
}

// NotifyPool opens a small pool for publishing events (pg_notify) whose
// commits do not wait for the disk: notifications are not durable anyway
// (the events are stored), and a synchronous commit per notification would
// serialise publishers behind disk flushes.
func NotifyPool(ctx context.Context, url string) (*sql.DB, error) {
	// lib/pq passes unknown parameters to the server as run-time settings.
	switch {
	case !strings.Contains(url, "://"):
		url += " synchronous_commit=off" // key=value form
	case strings.Contains(url, "?"):
		url += "&synchronous_commit=off"
	default:
		url += "?synchronous_commit=off"
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: notify pool: %w", err)
	}
	return db, nil
}

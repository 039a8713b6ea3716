// Package store opens the database: PostgreSQL through lib/pq when a URL is
// given, otherwise an embedded SQLite file (pure Go, no cgo). It migrates the
// schema at start.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
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
	Live *ent.Client
	SQL  *sql.DB
	// Notify publishes events (pg_notify) on PostgreSQL from a small pool
	// whose commits do not wait for the disk: notifications are not durable
	// anyway (the events are stored), and a synchronous commit per
	// notification would queue publishers behind disk flushes. Nil on SQLite.
	Notify  *sql.DB
	Dialect string // dialect.Postgres or dialect.SQLite
	liveSQL *sql.DB
}

// Pools of their own for stream reads and for notifications (PostgreSQL).
const (
	liveConns   = 4
	notifyConns = 4
)

// Options bound the connection pool.
type Options struct {
	MaxOpenConns int
	// WrapDriver, when set, wraps ent's driver (tests count statements).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// Open connects to url (postgres://...) or, when url is empty, to the SQLite
// file tongxue.db in dataDir, creating the folder.
func Open(ctx context.Context, url, dataDir string, opt Options) (*DB, error) {
	if url == "" {
		file, err := sqliteFile(dataDir)
		if err != nil {
			return nil, err
		}
		return OpenSQLite(ctx, SQLiteFileDSN(file), opt)
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("store: DATABASE_URL must be a postgres:// URL")
	}
	return OpenPostgres(ctx, url, opt)
}

// PrepareDataDir makes the data folder private to the server's user: it
// creates it (0700) when missing and takes group and other access away from
// it and from every file and folder directly in it (0644 becomes 0600, 0755
// becomes 0700) that an older version, an operator or an umask left open.
// Deeper entries are private already, their folder being closed; symbolic
// links are left alone.
func PrepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: data folder: %w", err)
	}
	if err := private(dir); err != nil {
		return fmt.Errorf("store: data folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: data folder: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() || e.IsDir() {
			if err := private(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("store: data folder: %w", err)
			}
		}
	}
	return nil
}

func private(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && fi.Mode().Type()&fs.ModeSymlink == 0 {
		return os.Chmod(path, perm&^0o077)
	}
	return nil
}

// sqliteFile returns the path of tongxue.db in the private data folder,
// creating the file 0600 when missing: SQLite would create it 0644, and its
// -wal and -shm files take the file's mode.
func sqliteFile(dataDir string) (string, error) {
	if err := PrepareDataDir(dataDir); err != nil {
		return "", err
	}
	file := filepath.Join(dataDir, "tongxue.db")
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("store: sqlite file: %w", err)
	}
	return file, f.Close()
}

// SQLiteFileDSN is the DSN of a SQLite file with the pragmas the service
// needs: foreign keys (ent's migration requires them), a busy timeout so
// concurrent writers wait instead of failing, WAL so readers never block
// writers, and IMMEDIATE transactions so a transaction takes the write lock
// at BEGIN rather than failing when it upgrades later.
func SQLiteFileDSN(path string) string {
	return "file:" + path + "?" + sqlitePragmas
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
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach the sqlite database: %w", err)
	}
	client := ent.NewClient(ent.Driver(wrap(newSQLiteDriver(entsql.OpenDB(dialect.SQLite, db)), opt)))
	return &DB{Client: client, Live: client, SQL: db, Dialect: dialect.SQLite}, nil
}

// OpenPostgres opens PostgreSQL through lib/pq with a bounded pool for
// requests, and the small pools of DB.Live and DB.Notify.
func OpenPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	n := max(opt.MaxOpenConns, 1)
	// As many idle as open: under load a smaller idle bound closes and
	// reopens connections (a backend process each) many times a second.
	main, err := pgPool(ctx, dsn, n, n)
	if err != nil {
		return nil, err
	}
	d := &DB{SQL: main, Dialect: dialect.Postgres}
	d.Client = ent.NewClient(ent.Driver(wrap(entsql.OpenDB(dialect.Postgres, main), opt)))
	if d.liveSQL, err = pgPool(ctx, dsn, liveConns, liveConns); err != nil {
		d.Close()
		return nil, err
	}
	d.Live = ent.NewClient(ent.Driver(wrap(entsql.OpenDB(dialect.Postgres, d.liveSQL), opt)))
	if d.Notify, err = pgPool(ctx, withAsyncCommit(dsn), notifyConns, notifyConns); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// pgPool opens a bounded lib/pq pool and checks that it answers.
func pgPool(ctx context.Context, dsn string, open, idle int) (*sql.DB, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(open)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach the postgres database: %w", err)
	}
	return db, nil
}

// withAsyncCommit adds synchronous_commit=off to a lib/pq DSN (URL or
// key=value form): lib/pq passes unknown parameters on as run-time settings.
func withAsyncCommit(dsn string) string {
	switch {
	case !strings.Contains(dsn, "://"):
		return dsn + " synchronous_commit=off"
	case strings.Contains(dsn, "?"):
		return dsn + "&synchronous_commit=off"
	default:
		return dsn + "?synchronous_commit=off"
	}
}

func ping(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func wrap(drv dialect.Driver, opt Options) dialect.Driver {
	if opt.WrapDriver != nil {
		return opt.WrapDriver(drv)
	}
	return drv
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

// Close closes the clients and their pools.
func (d *DB) Close() error {
	if d.liveSQL != nil {
		d.Live.Close()
	}
	if d.Notify != nil {
		d.Notify.Close()
	}
	if d.Client == nil {
		return d.SQL.Close()
	}
	return d.Client.Close()
}

// Package testdb gives each test a fresh, migrated database on every backend
// the suite runs against: SQLite always, and PostgreSQL through
// TEST_DATABASE_URL. With CI=true a missing or unreachable PostgreSQL fails
// the test instead of skipping it.
package testdb

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/infra/store"
)

// Options tune a test database (MaxOpenConns 0 means 8).
type Options = store.Options

// Each runs fn once per backend, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	EachWith(t, Options{}, fn)
}

// EachWith is Each with options.
func EachWith(t *testing.T, opt Options, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, backend := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(name(backend), func(t *testing.T) {
			fn(t, Open(t, backend, opt))
		})
	}
}

func name(backend string) string {
	if backend == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Open returns a migrated, empty database of one backend, removed when the
// test ends.
func Open(t testing.TB, backend string, opt Options) *store.DB {
	t.Helper()
	ctx := context.Background()
	sopt := opt
	sopt.MaxOpenConns = cmp.Or(opt.MaxOpenConns, 8)
	var (
		db  *store.DB
		err error
	)
	switch backend {
	case dialect.SQLite:
		// A file, not :memory:, so the suite exercises WAL and the busy timeout
		// exactly as `make run` does.
		db, err = store.OpenSQLite(ctx, store.SQLiteFileDSN(filepath.Join(t.TempDir(), "test.db")), sopt)
	case dialect.Postgres:
		db, err = store.OpenPostgres(ctx, PostgresSchema(t), sopt)
	default:
		t.Fatalf("testdb: unknown backend %q", backend)
	}
	if err != nil {
		t.Fatalf("testdb: open %s: %v", backend, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("testdb: migrate %s: %v", backend, err)
	}
	return db
}

// PostgresURL returns TEST_DATABASE_URL, skipping the test when it is unset,
// or failing it when CI=true.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("testdb: CI=true needs TEST_DATABASE_URL (PostgreSQL)")
		}
		t.Skip("testdb: TEST_DATABASE_URL is not set: PostgreSQL part skipped (make test sets it)")
	}
	return u
}

// PostgresSchema creates a schema of its own for the test and returns a URL
// whose connections use it, so tests and packages run in parallel. The
// schema is dropped when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer admin.Close()
	schema := "t_" + sanitize(t.Name()) + "_" + randHex(4)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("testdb: PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema) // lib/pq sends unknown keys as run-time parameters
	u.RawQuery = q.Encode()
	return u.String()
}

func sanitize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[len(out)-40:]
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

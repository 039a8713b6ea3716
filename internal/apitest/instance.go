package apitest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// PostgresInstance opens what one server instance has on the PostgreSQL
// database at url, as in production: a migrated store with its pools and a
// LISTEN/NOTIFY bus. Instances opened on the same url hear each other.
func PostgresInstance(t testing.TB, url string, maxConns int) (*store.DB, pubsub.Bus) {
	t.Helper()
	db, err := store.OpenPostgres(t.Context(), url, store.Options{MaxOpenConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(url)) // one channel per test database
	bus, err := pubsub.NewPostgres(t.Context(), url, db.Notify, pubsub.Options{Channel: "t_" + hex.EncodeToString(sum[:8])})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return db, bus
}

// TwoInstances starts two servers on one fresh PostgreSQL database, with
// the same keys, each with its own pools and LISTEN connection: what a
// client does on one, a subscriber on the other hears.
func TwoInstances(t testing.TB) (a, b *Env) {
	t.Helper()
	url := testdb.PostgresSchema(t)
	dbA, busA := PostgresInstance(t, url, 8)
	dbB, busB := PostgresInstance(t, url, 8)
	a = New(t, dbA, Options{Bus: busA})
	b = New(t, dbB, Options{Bus: busB, Keys: &a.Keys})
	return a, b
}

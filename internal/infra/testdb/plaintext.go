package testdb

import (
	"database/sql"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// AssertNoPlaintext reads every text and blob cell of every table and fails
// the test if one holds any of the secrets in the clear.
func AssertNoPlaintext(t testing.TB, db *sql.DB, dialectName string, secrets ...string) {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if dialectName == dialect.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	tables, err := column[string](db, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("testdb: only %d tables: wrong schema?", len(tables))
	}
	for _, table := range tables {
		for _, r := range tableRows(t, db, table, `SELECT * FROM "`+table+`"`) {
			for i, v := range r.Vals {
				var s string
				switch x := v.(type) {
				case []byte:
					s = string(x)
				case string:
					s = x
				default:
					continue
				}
				for _, secret := range secrets {
					if secret != "" && strings.Contains(s, secret) {
						t.Errorf("%s.%s holds %q in the clear", table, r.Cols[i], secret)
					}
				}
			}
		}
	}
}

func column[T any](db *sql.DB, q string) ([]T, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

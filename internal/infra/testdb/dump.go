package testdb

import (
	"bytes"
	"database/sql"
	"testing"

	"github.com/tongxue/tongxue/ent/migrate"
)

// Row is one row of a table as the driver returns it; bytes are copies.
type Row struct {
	Table string
	Cols  []string
	Vals  []any
}

// Get returns the value of column col, or nil.
func (r Row) Get(col string) any {
	for i, c := range r.Cols {
		if c == col {
			return r.Vals[i]
		}
	}
	return nil
}

// Dump reads every row of every table of the data model, in id order: what
// tests compare before and after, or search for values that must be gone.
func Dump(t testing.TB, db *sql.DB) []Row {
	t.Helper()
	var out []Row
	for _, tb := range migrate.Tables {
		out = append(out, tableRows(t, db, tb.Name, `SELECT * FROM "`+tb.Name+`" ORDER BY 1`)...)
	}
	return out
}

func tableRows(t testing.TB, db *sql.DB, table, query string) []Row {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []Row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals { // drivers may reuse the buffers
			if b, ok := v.([]byte); ok {
				vals[i] = bytes.Clone(b)
			}
		}
		out = append(out, Row{Table: table, Cols: cols, Vals: vals})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

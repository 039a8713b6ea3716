package account_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// A dump of every table of the data model: all columns of all rows.

type row struct {
	table string
	cols  []string
	vals  []any
}

func (r row) get(col string) any {
	if i := slices.Index(r.cols, col); i >= 0 {
		return r.vals[i]
	}
	return nil
}

func dump(t *testing.T, db *store.DB) []row {
	t.Helper()
	var out []row
	for _, tb := range migrate.Tables {
		rows, err := db.SQL.QueryContext(t.Context(), `SELECT * FROM "`+tb.Name+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
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
			out = append(out, row{table: tb.Name, cols: cols, vals: vals})
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// ownerColumns name whose a row is; relationColumns name someone the row
// involves (a runner, a courier, who revealed, who answered, who runs a
// shop). Ids are unique across tables (ent's global id ranges), so an
// integer equal to the user's id in one of them is the user.
var (
	ownerColumns    = []string{"user_id", "author_id", "requester_id", "follower_id", "followee_id", "subject_id"}
	relationColumns = []string{"runner_id", "courier_id", "actor_id", "handled_by", "owner_id"}
)

func refers(r row, cols []string, id int) bool {
	for i, c := range r.cols {
		if slices.Contains(cols, c) && asInt(r.vals[i]) == int64(id) {
			return true
		}
	}
	return false
}

// owned reports whether r is the user's: their account row or a row an
// owner column ties to them.
func owned(r row, id int) bool {
	return (r.table == migrate.UsersTable.Name && asInt(r.get("id")) == int64(id)) || refers(r, ownerColumns, id)
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return -1
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// sealedColumns are the columns holding ciphertext, by table.
func sealedColumns(t *testing.T) map[string][]string {
	t.Helper()
	cols, err := datamap.SealedColumns()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, c := range cols {
		out[c.Table] = append(out[c.Table], c.Column)
	}
	return out
}

// sealedOf returns the sealed values of the user's rows (but those of
// skipTables) and what they open to.
func sealedOf(t *testing.T, rows []row, ring *vault.Keyring, id int, skipTables ...string) (sealed, plain [][]byte) {
	t.Helper()
	sc := sealedColumns(t)
	for _, r := range rows {
		if !owned(r, id) || slices.Contains(skipTables, r.table) {
			continue
		}
		for _, c := range sc[r.table] {
			b := asBytes(r.get(c))
			if len(b) == 0 {
				continue
			}
			p, err := ring.Open(b, r.table+"."+c)
			if err != nil {
				t.Fatalf("%s.%s of the user does not open: %v", r.table, c, err)
			}
			sealed, plain = append(sealed, b), append(plain, p)
		}
	}
	return sealed, plain
}

// leftovers lists every cell of rows holding one of the values: plain
// values in text and bytes, and, after opening them, in every sealed cell.
func leftovers(t *testing.T, rows []row, ring *vault.Keyring, values [][]byte) []string {
	t.Helper()
	sc := sealedColumns(t)
	var out []string
	for _, r := range rows {
		for i, c := range r.cols {
			cells := [][]byte{asBytes(r.vals[i])}
			if slices.Contains(sc[r.table], c) && len(cells[0]) > 0 {
				if p, err := ring.Open(cells[0], r.table+"."+c); err == nil {
					cells = append(cells, p)
				}
			}
			for _, cell := range cells {
				for _, v := range values {
					if len(v) >= 6 && bytes.Contains(cell, v) {
						out = append(out, fmt.Sprintf("%s.%s (row %v) holds %q", r.table, c, r.get("id"), shorten(v)))
					}
				}
			}
		}
	}
	return out
}

func shorten(v []byte) string {
	if len(v) > 40 {
		return fmt.Sprintf("%d bytes starting %x", len(v), v[:8])
	}
	return string(v)
}

// phoneHashForms are the stored forms of a number's keyed hash: the bytes
// and the hex the rate limits key it by.
func phoneHashForms(h []byte) [][]byte {
	return [][]byte{h, []byte(hex.EncodeToString(h[:16]))}
}

func asStrings(vs []string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		out[i] = []byte(v)
	}
	return out
}

// tablesOwned lists the tables holding rows of the user's, and those
// where a relation column still names them.
func tablesOwned(rows []row, id int) (owns, relates []string) {
	for _, r := range rows {
		if owned(r, id) && !slices.Contains(owns, r.table) {
			owns = append(owns, r.table)
		}
		if refers(r, relationColumns, id) && !slices.Contains(relates, r.table) {
			relates = append(relates, r.table)
		}
	}
	slices.Sort(owns)
	slices.Sort(relates)
	return owns, relates
}

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
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// row is a row of the dump of every table (testdb.Dump).
type row = testdb.Row

func dump(t *testing.T, db *store.DB) []row { return testdb.Dump(t, db.SQL) }

// ownerColumns name whose a row is; relationColumns name someone the row
// involves (a runner, a courier, who revealed, who answered, who runs a
// shop). Ids are unique across tables (ent's global id ranges), so an
// integer equal to the user's id in one of them is the user.
var (
	ownerColumns    = []string{"user_id", "author_id", "requester_id", "follower_id", "followee_id", "subject_id"}
	relationColumns = []string{"runner_id", "courier_id", "actor_id", "handled_by", "owner_id"}
)

func refers(r row, cols []string, id int) bool {
	for i, c := range r.Cols {
		if slices.Contains(cols, c) && asInt(r.Vals[i]) == int64(id) {
			return true
		}
	}
	return false
}

// owned reports whether r is the user's: their account row or a row an
// owner column ties to them.
func owned(r row, id int) bool {
	return (r.Table == migrate.UsersTable.Name && asInt(r.Get("id")) == int64(id)) || refers(r, ownerColumns, id)
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
		if !owned(r, id) || slices.Contains(skipTables, r.Table) {
			continue
		}
		for _, c := range sc[r.Table] {
			b := asBytes(r.Get(c))
			if len(b) == 0 {
				continue
			}
			p, err := ring.Open(b, r.Table+"."+c)
			if err != nil {
				t.Fatalf("%s.%s of the user does not open: %v", r.Table, c, err)
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
		for i, c := range r.Cols {
			cells := [][]byte{asBytes(r.Vals[i])}
			if slices.Contains(sc[r.Table], c) && len(cells[0]) > 0 {
				if p, err := ring.Open(cells[0], r.Table+"."+c); err == nil {
					cells = append(cells, p)
				}
			}
			for _, cell := range cells {
				for _, v := range values {
					if len(v) >= 6 && bytes.Contains(cell, v) {
						out = append(out, fmt.Sprintf("%s.%s (row %v) holds %q", r.Table, c, r.Get("id"), shorten(v)))
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
		if owned(r, id) && !slices.Contains(owns, r.Table) {
			owns = append(owns, r.Table)
		}
		if refers(r, relationColumns, id) && !slices.Contains(relates, r.Table) {
			relates = append(relates, r.Table)
		}
	}
	slices.Sort(owns)
	slices.Sort(relates)
	return owns, relates
}

package dataexport

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/internal/infra/datamap"
)

// The export is planned from two sources only: the tables and columns of the
// data model (ent/migrate) and the pii annotations (datamap.DataFields). A
// personal field added to the schema is therefore in the next export with
// no change here; a new table holding one must say whose rows are whose
// (routes below, or a user_id column), or building fails (and the test).

// route says how the rows of a table that belong to one user are found.
type route struct {
	column string // the column pointing at the owner (or at a parent row)
	// parent: the column holds parent.key of the user's parent rows (order
	// items through orders, a login code through the user's phone hash);
	// "" means it holds the user's id.
	parent, key string
}

// routes are the tables whose owner column is not user_id.
var routes = map[string]route{
	"users":              {column: "id"},
	"posts":              {column: "author_id"},
	"reviews":            {column: "author_id"},
	"follows":            {column: "follower_id"}, // whom I follow; who follows me is theirs
	"errands":            {column: "requester_id"},
	"sensitive_accesses": {column: "subject_id"}, // who revealed my data, and why
	"login_codes":        {column: "phone_hash", parent: "users", key: "phone_hash"},
	"order_items":        {column: "order_id", parent: "orders"},
	"post_images":        {column: "post_id", parent: "posts"},
	"device_permissions": {column: "session_id", parent: "sessions"},
}

// notCopied are personal fields the copy lists but does not carry, with why.
var notCopied = map[string]string{
	"data_exports.archive_cipher": "此前生成的副本文件本身，不重复打包",
}

// pictureColumns hold the key of a stored picture (the media store); the
// picture itself goes into pictures/ in the archive.
var pictureColumns = map[string]bool{
	"users.avatar_url":      true,
	"post_images.media_key": true,
	"errands.photo_key":     true,
}

// kind is how a column's value appears in the copy.
type kind int

const (
	plain    kind = iota // as stored
	sealed               // decrypted (text as a string, anything else as a file)
	lookup               // a keyed hash: listed as held, not readable
	withheld             // notCopied
)

type column struct {
	name     string
	typ      field.Type
	enums    []string
	nullable bool
	kind     kind
	field    *datamap.DataField // nil: not personal on its own (ids, times, statuses)
	picture  bool
}

type table struct {
	name    string
	route   route
	columns []column
}

func (t table) has(name string) bool {
	return slices.ContainsFunc(t.columns, func(c column) bool { return c.name == name })
}

// plan is the list of tables in the copy, users first, then by name.
var plan = sync.OnceValues(func() ([]table, error) {
	fields, err := datamap.DataFields()
	if err != nil {
		return nil, err
	}
	personal := map[string]*datamap.DataField{}
	for i := range fields {
		personal[fields[i].AAD()] = &fields[i]
	}
	var out []table
	covered := map[string]bool{}
	for _, mt := range migrate.Tables {
		r, ok := routes[mt.Name]
		if !ok && slices.ContainsFunc(mt.Columns, func(c *entschema.Column) bool { return c.Name == "user_id" }) {
			r, ok = route{column: "user_id"}, true
		}
		if !ok {
			continue
		}
		t := table{name: mt.Name, route: r}
		for _, c := range mt.Columns {
			col := column{name: c.Name, typ: c.Type, enums: c.Enums, nullable: c.Nullable}
			aad := mt.Name + "." + c.Name
			col.field, col.picture = personal[aad], pictureColumns[aad]
			switch {
			case col.field == nil && c.Type == field.TypeBytes:
				continue // secrets and pseudonyms (token and code hashes): not data about the user
			case col.field == nil:
				col.kind = plain
			case notCopied[aad] != "":
				col.kind = withheld
			case col.field.Lookup:
				col.kind = lookup
			case col.field.Sealed:
				col.kind = sealed
			}
			if col.field != nil {
				covered[aad] = true
			}
			t.columns = append(t.columns, col)
		}
		out = append(out, t)
	}
	for _, f := range fields {
		if !covered[f.AAD()] {
			return nil, fmt.Errorf("dataexport: %s is personal data but not planned: say whose rows of %s are whose (routes)", f.AAD(), f.Table)
		}
	}
	byName := map[string]bool{}
	for _, t := range out {
		byName[t.name] = true
	}
	for _, t := range out {
		if t.route.parent != "" && !byName[t.route.parent] {
			return nil, fmt.Errorf("dataexport: %s is reached through %s, which is not exported", t.name, t.route.parent)
		}
		if !t.has("id") || !t.has(t.route.column) {
			return nil, fmt.Errorf("dataexport: %s lacks its id or owner column %s", t.name, t.route.column)
		}
	}
	slices.SortFunc(out, func(a, b table) int {
		return cmp.Or(cmp.Compare(rank(a.name), rank(b.name)), cmp.Compare(a.name, b.name))
	})
	return out, nil
})

func rank(name string) int {
	if name == "users" {
		return 0
	}
	return 1
}

// owned is the condition selecting the user's rows of t.
func owned(d *entsql.DialectBuilder, tables map[string]route, t string, userID int) *entsql.Predicate {
	r := tables[t]
	if r.parent == "" {
		return entsql.EQ(r.column, userID)
	}
	sub := d.Select(cmp.Or(r.key, "id")).From(entsql.Table(r.parent)).Where(owned(d, tables, r.parent, userID))
	return entsql.In(r.column, sub)
}

package dataexport

import (
	"cmp"
	"slices"
	"testing"

	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/ent/schema"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Every personal field of the catalogue is planned, in the form its
// annotation says.
func TestEveryPersonalFieldIsPlanned(t *testing.T) {
	tables, err := plan()
	if err != nil {
		t.Fatal(err)
	}
	fields, err := datamap.DataFields()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		i := slices.IndexFunc(tables, func(t table) bool { return t.name == f.Table })
		if i < 0 {
			t.Errorf("%s: table not planned", f.AAD())
			continue
		}
		j := slices.IndexFunc(tables[i].columns, func(c column) bool { return c.name == f.Column })
		if j < 0 {
			t.Errorf("%s: column not planned", f.AAD())
			continue
		}
		c := tables[i].columns[j]
		want := plain
		switch {
		case notCopied[f.AAD()] != "":
			want = withheld
		case f.Lookup:
			want = lookup
		case f.Sealed:
			want = sealed
		}
		if c.kind != want || c.field == nil {
			t.Errorf("%s: planned as %d, want %d", f.AAD(), c.kind, want)
		}
	}
	if tables[0].name != "users" {
		t.Errorf("the first file is %s, want users", tables[0].name)
	}
}

// The copy leaves out columns that are bytes and not personal data (token
// and code hashes, pseudonyms); every other secret must therefore be bytes,
// or it would be copied as context.
func TestSecretsOutsideTheCatalogueAreBytes(t *testing.T) {
	for _, s := range schema.All {
		for _, f := range s.Fields() {
			d := f.Descriptor()
			personal := slices.ContainsFunc(d.Annotations, func(a entschema.Annotation) bool { _, ok := a.(pii.Field); return ok })
			if d.Sensitive && !personal && d.Info.Type != field.TypeBytes {
				t.Errorf("%T.%s is Sensitive, not personal data, and not bytes: the export would copy it", s, d.Name)
			}
		}
	}
}

// Each route names real columns.
func TestRoutesNameRealColumns(t *testing.T) {
	cols := map[string]bool{}
	for _, mt := range migrate.Tables {
		for _, c := range mt.Columns {
			cols[mt.Name+"."+c.Name] = true
		}
	}
	for name, r := range routes {
		if !cols[name+"."+r.column] {
			t.Errorf("route of %s: no column %s", name, r.column)
		}
		if r.parent != "" && !cols[r.parent+"."+cmp.Or(r.key, "id")] {
			t.Errorf("route of %s: no column %s.%s", name, r.parent, r.key)
		}
	}
	for aad := range pictureColumns {
		if !cols[aad] {
			t.Errorf("picture column %s does not exist", aad)
		}
	}
	for aad := range notCopied {
		if !cols[aad] {
			t.Errorf("withheld column %s does not exist", aad)
		}
	}
}

package retention

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/ent/schema"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Declaration is one retention rule as ent/schema declares it: of a
// personal column (pii.Field.Retention) or of a table's rows (pii.Records).
type Declaration struct {
	Table  string
	Column string         // "" for a table's records
	Kind   pii.RecordKind // records only
	What   string         // records only: what a row records
	Rule   pii.Rule
}

var declared = sync.OnceValues(load)

// Declarations lists every retention declaration: the personal columns in
// the order of the map of personal data, then the tables of records.
func Declarations() ([]Declaration, error) {
	d, err := declared()
	return append([]Declaration(nil), d...), err
}

// Records lists the declarations of tables' records.
func Records() ([]Declaration, error) {
	all, err := declared()
	var out []Declaration
	for _, d := range all {
		if d.Column == "" {
			out = append(out, d)
		}
	}
	return out, err
}

func load() ([]Declaration, error) {
	fields, err := datamap.DataFields()
	if err != nil {
		return nil, err
	}
	var out []Declaration
	for _, f := range fields {
		out = append(out, Declaration{Table: f.Table, Column: f.Column, Rule: f.Retention})
	}
	for _, s := range schema.All {
		for _, a := range s.Annotations() {
			r, ok := a.(pii.Records)
			if !ok {
				continue
			}
			table, err := tableOf(reflect.TypeOf(s).Name())
			if err != nil {
				return nil, err
			}
			out = append(out, Declaration{Table: table, Kind: r.Kind, What: r.What, Rule: r.Retention})
		}
	}
	return out, nil
}

// KeepOf is the timed rule declared for a column, or for a table's records
// when column is "": the retention runner and the code that stamps a
// record's end read their periods here.
func KeepOf(table, column string) (pii.Keep, error) {
	all, err := declared()
	if err != nil {
		return pii.Keep{}, err
	}
	for _, d := range all {
		if d.Table != table || d.Column != column {
			continue
		}
		k, ok := d.Rule.(pii.Keep)
		if !ok || k.For.IsZero() {
			return pii.Keep{}, fmt.Errorf("retention: %s is not kept for a period (%T)", name(table, column), d.Rule)
		}
		return k, nil
	}
	return pii.Keep{}, fmt.Errorf("retention: nothing declared for %s", name(table, column))
}

// MustKeepOf is KeepOf for package variables: a missing declaration stops
// the program at start (and every test).
func MustKeepOf(table, column string) pii.Keep {
	k, err := KeepOf(table, column)
	if err != nil {
		panic(err)
	}
	return k
}

func name(table, column string) string {
	if column == "" {
		return "the records of " + table
	}
	return table + "." + column
}

// tableOf finds the table ent made for a schema type (snake case, plural),
// as internal/infra/datamap does for personal columns.
func tableOf(typ string) (string, error) {
	var b strings.Builder
	for i, r := range typ {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	snake := b.String()
	for _, t := range migrate.Tables {
		if strings.HasPrefix(t.Name, snake) && len(t.Name)-len(snake) <= 2 {
			return t.Name, nil
		}
	}
	return "", fmt.Errorf("retention: no table for schema %s", typ)
}

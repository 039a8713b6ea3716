package account

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/internal/infra/datamap"
)

// R3: the cancellation plan decides for every table of the data model, and
// for every personal column of the map of personal data (the pii
// annotations the privacy catalogue and the export read), whether it is
// deleted, erased or detached. A new table or a new personal column fails
// this test until the plan handles it.
func TestCancellationPlanCoversEveryTableAndPersonalColumn(t *testing.T) {
	fields, err := datamap.DataFields()
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) < 30 {
		t.Fatalf("the map of personal data has %d fields: wrong map?", len(fields))
	}
	for _, p := range planProblems(plan, fields) {
		t.Error(p)
	}
}

// The check finds a forgotten table and a forgotten personal column.
func TestCancellationPlanCheckFindsGaps(t *testing.T) {
	fields, err := datamap.DataFields()
	if err != nil {
		t.Fatal(err)
	}
	var broken []step
	for _, s := range plan {
		switch s.table {
		case "wows":
			continue // forgotten
		case "orders":
			s.erases = slices.DeleteFunc(slices.Clone(s.erases), func(c string) bool { return c == "address_cipher" })
		case "consent_events":
			s.fate = fateNone
		}
		broken = append(broken, s)
	}
	got := planProblems(broken, fields)
	for _, want := range []string{
		"wows: no step decides what a cancellation does to this table",
		"orders.address_cipher is personal data (收货地址) the step does not erase",
		"consent_events: not a user's table, yet it refers to users",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("the check missed %q; it found %q", want, got)
		}
	}
}

// planProblems checks a plan against the tables of the data model and the
// map of personal data.
func planProblems(p []step, fields []datamap.DataField) []string {
	var out []string
	steps := map[string]step{}
	for _, s := range p {
		if _, dup := steps[s.table]; dup {
			out = append(out, s.table+": two steps")
		}
		steps[s.table] = s
		if s.fate != fateNone && s.why == "" {
			out = append(out, s.table+": say why")
		}
		if s.fate != fateNone && s.fate != fateKept && s.run == nil {
			out = append(out, fmt.Sprintf("%s: %s, but nothing does it", s.table, s.fate))
		}
	}
	tables := map[string][]string{}
	for _, tb := range migrate.Tables {
		for _, c := range tb.Columns {
			tables[tb.Name] = append(tables[tb.Name], c.Name)
		}
		s, ok := steps[tb.Name]
		if !ok {
			out = append(out, tb.Name+": no step decides what a cancellation does to this table")
			continue
		}
		for _, c := range s.erases {
			if !slices.Contains(tables[tb.Name], c) {
				out = append(out, fmt.Sprintf("%s: erases %s, which is not one of its columns", tb.Name, c))
			}
		}
		if s.fate == fateNone && refersToUsers(tb.Name) {
			out = append(out, tb.Name+": not a user's table, yet it refers to users")
		}
	}
	for _, s := range p {
		if _, ok := tables[s.table]; !ok {
			out = append(out, s.table+": not a table of the data model")
		}
	}
	for _, f := range fields {
		s := steps[f.Table]
		switch s.fate {
		case fateDeleted, fateDetached:
		case fateErased:
			if !slices.Contains(s.erases, f.Column) {
				out = append(out, fmt.Sprintf("%s is personal data (%s) the step does not erase", f.AAD(), f.Category))
			}
		default:
			out = append(out, fmt.Sprintf("%s is personal data (%s) in a table whose rows are %q", f.AAD(), f.Category, s.fate))
		}
	}
	return out
}

// refersToUsers reports whether a table has a column that names a user:
// a foreign key to users, or one of the id columns the schema keeps
// without one.
func refersToUsers(table string) bool {
	for _, tb := range migrate.Tables {
		if tb.Name != table {
			continue
		}
		for _, fk := range tb.ForeignKeys {
			if fk.RefTable != nil && fk.RefTable.Name == migrate.UsersTable.Name {
				return true
			}
		}
		for _, c := range tb.Columns {
			if slices.Contains([]string{"user_id", "author_id", "actor_id", "subject_id", "owner_id", "handled_by"}, c.Name) {
				return true
			}
		}
	}
	return false
}

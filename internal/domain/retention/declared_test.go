package retention_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/entc/load"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/ent/schema"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Every personal column of the data model says how long it is kept and
// what deletes it; a new personal field without a rule fails here.
func TestEveryPersonalFieldHasARetentionRule(t *testing.T) {
	fields, err := datamap.DataFields()
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) < 30 {
		t.Fatalf("only %d personal fields found: the test proves nothing", len(fields))
	}
	for _, f := range fields {
		name := f.Table + "." + f.Column
		if f.Retention == nil {
			t.Errorf("%s has no retention rule", name)
			continue
		}
		checkRule(t, name, f.Table, f.Retention)
	}
}

// Tables that log or prove what people did (sessions, codes, counters, the
// reveal audit, the sharing ledger, consent history) declare their rule too.
func TestLogAndRecordTablesDeclareTheirRetention(t *testing.T) {
	recs, err := retention.Records()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]pii.Records{}
	for _, r := range recs {
		have[r.Table] = pii.Records{Kind: r.Kind, What: r.What, Retention: r.Rule}
		if r.Kind == "" || r.What == "" {
			t.Errorf("%s: kind or description missing", r.Table)
		}
		checkRule(t, r.Table, r.Table, r.Rule)
	}
	for _, table := range []string{"sessions", "login_codes", "rate_counters", "sensitive_accesses", "sharing_records",
		"consent_events", "policy_acceptances", "orders", "order_items", "order_events", "payment_callbacks", "errands"} {
		if _, ok := have[table]; !ok {
			t.Errorf("%s declares no retention", table)
		}
	}
}

// A period a law sets as a minimum is declared at least that long.
func TestDeclaredPeriodsMeetTheLaw(t *testing.T) {
	all, err := retention.Declarations()
	if err != nil {
		t.Fatal(err)
	}
	minimum := map[string]pii.Period{pii.ECommerceLaw: pii.Years(3), pii.CybersecurityLaw: pii.Months(6),
		pii.PIPLRecords: pii.Years(3), pii.LimitationPeriod: pii.Years(3)}
	seen := map[string]bool{}
	for _, d := range all {
		k, ok := d.Rule.(pii.Keep)
		if !ok {
			continue
		}
		low, ok := minimum[k.Basis]
		if !ok {
			continue
		}
		seen[k.Basis] = true
		start := mustTime(t, "2024-02-29T10:00:00Z")
		if k.For.After(start).Before(low.After(start)) {
			t.Errorf("%s.%s is kept %s, less than %s requires (%s)", d.Table, d.Column, k.For, k.Basis, low)
		}
	}
	for basis := range minimum {
		if !seen[basis] {
			t.Errorf("no declaration rests on %s", basis)
		}
	}
	for _, c := range []struct{ table, column string }{{"orders", ""}, {"sensitive_accesses", ""}, {"errands", ""}} {
		if _, err := retention.KeepOf(c.table, c.column); err != nil {
			t.Error(err)
		}
	}
}

// ent's code generator encodes every annotation as JSON (make generate):
// the rules must survive it.
func TestRetentionAnnotationsEncodeForTheGenerator(t *testing.T) {
	found := 0
	for _, s := range schema.All {
		b, err := load.MarshalSchema(s)
		if err != nil {
			t.Fatalf("%T: %v", s, err)
		}
		var got struct {
			Annotations map[string]json.RawMessage
			Fields      []struct{ Annotations map[string]json.RawMessage }
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if a, ok := got.Annotations["PIIRecords"]; ok && strings.Contains(string(a), `"Retention":{`) {
			found++
		}
		for _, f := range got.Fields {
			if a, ok := f.Annotations["PII"]; ok && strings.Contains(string(a), `"Retention":`) {
				found++
			}
		}
	}
	if found < 40 {
		t.Fatalf("%d encoded retention rules: the rules did not reach the generator", found)
	}
}

// checkRule: a sentence, a deletion path, and a Keep runs from a real column.
func checkRule(t *testing.T, name, table string, r pii.Rule) {
	t.Helper()
	if r == nil || strings.TrimSpace(r.Text()) == "" || len(r.Paths()) == 0 {
		t.Errorf("%s: retention without a sentence or a deletion path", name)
		return
	}
	for _, p := range r.Paths() {
		if strings.TrimSpace(p) == "" {
			t.Errorf("%s: an empty deletion path", name)
		}
	}
	if k, ok := r.(pii.Keep); ok {
		if k.For.IsZero() || k.Then == "" {
			t.Errorf("%s: a Keep without a period or an action", name)
		}
		tbl, col := table, k.From
		if i := strings.IndexByte(col, '.'); i >= 0 {
			tbl, col = col[:i], col[i+1:]
		}
		if !hasColumn(tbl, col) {
			t.Errorf("%s: the period runs from %s.%s, which is not a column", name, tbl, col)
		}
	}
}

func hasColumn(table, column string) bool {
	for _, tb := range migrate.Tables {
		if tb.Name == table {
			return slices.ContainsFunc(tb.Columns, func(c *entschema.Column) bool { return c.Name == column })
		}
	}
	return false
}

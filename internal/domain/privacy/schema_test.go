package privacy_test

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/ent/migrate"
	entschema "github.com/tongxue/tongxue/ent/schema"
	"github.com/tongxue/tongxue/internal/app"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/resolvers"
)

// The schema guards itself: these tests walk the GraphQL schema and the ent
// schema and fail when a field that shows personal data lacks its guard.

func gqlSchema(t *testing.T) *ast.Schema {
	t.Helper()
	return resolvers.NewSchema(resolvers.New(&app.Services{})).Schema()
}

func dataFields(t *testing.T) []datamap.DataField {
	t.Helper()
	d, err := datamap.DataFields()
	if err != nil {
		t.Fatal(err)
	}
	if len(d) == 0 {
		t.Fatal("no pii annotations found: the test proves nothing")
	}
	return d
}

func field(t *testing.T, s *ast.Schema, ref string) *ast.FieldDefinition {
	t.Helper()
	typ, name, _ := strings.Cut(ref, ".")
	def := s.Types[typ]
	if def == nil || def.Fields.ForName(name) == nil {
		t.Fatalf("%s is named in a pii annotation but is not in the GraphQL schema", ref)
	}
	return def.Fields.ForName(name)
}

func norm(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// Sensitive data is sealed at rest and masked wherever the graph shows it
// (unless its owner publishes it whole, on purpose: a post's place); a
// masked field is nullable.
func TestSensitiveDataIsSealedAndMasked(t *testing.T) {
	s := gqlSchema(t)
	for _, d := range dataFields(t) {
		if d.Sensitive && !d.Sealed {
			t.Errorf("%s.%s is sensitive but not sealed", d.Table, d.Column)
		}
		if (d.Sensitive || d.Sealed) && len(d.Exposes) > 0 && d.Mask == "" && !d.Published {
			t.Errorf("%s.%s is shown but names no mask kind", d.Table, d.Column)
		}
		if d.Published && (d.Mask != "" || !d.Sealed || len(d.Exposes) == 0) {
			t.Errorf("%s.%s is published: sealed, shown, and not masked", d.Table, d.Column)
		}
		if d.Mask == "" {
			continue
		}
		for _, ref := range d.Exposes {
			f := field(t, s, ref)
			m := f.Directives.ForName("mask")
			if m == nil || m.Arguments.ForName("kind").Value.Raw != string(d.Mask) {
				t.Errorf("%s shows %s.%s without @mask(kind: %s)", ref, d.Table, d.Column, d.Mask)
			}
			if f.Type.NonNull {
				t.Errorf("%s is masked but non-null: a refused value would null its parent", ref)
			}
		}
	}
}

// Data processed for a purpose that needs consent is shown only under
// @consent for that purpose.
func TestConsentGuardsOptionalPurposes(t *testing.T) {
	s := gqlSchema(t)
	for _, d := range dataFields(t) {
		info, ok := pii.Lookup(d.Purpose)
		if !ok {
			t.Errorf("%s.%s names unknown purpose %q", d.Table, d.Column, d.Purpose)
			continue
		}
		if !info.NeedsConsent() {
			continue
		}
		for _, ref := range d.Exposes {
			found := false
			for _, c := range field(t, s, ref).Directives.ForNames("consent") {
				found = found || c.Arguments.ForName("purpose").Value.Raw == string(d.Purpose)
			}
			if !found {
				t.Errorf("%s shows data collected for %s without @consent(purpose: %s)", ref, d.Purpose, d.Purpose)
			}
		}
	}
	for _, g := range datamap.GraphFields(s) {
		if len(g.Consents) == 0 {
			continue
		}
		for _, c := range g.Consents {
			if info, ok := pii.Lookup(c.Purpose); !ok || !info.NeedsConsent() {
				t.Errorf("%s.%s: @consent(purpose: %s) names a purpose that needs no consent", g.Type, g.Field, c.Purpose)
			}
		}
		if !g.Nullable && g.Type != "Mutation" {
			t.Errorf("%s.%s has @consent but is non-null", g.Type, g.Field)
		}
	}
}

// No one can filter or sort by personal data: no WhereInput field and no
// order field of a type names one of its personal-data columns or masked
// fields.
func TestNoFilterOrOrderOnPersonalData(t *testing.T) {
	s := gqlSchema(t)
	names := map[string][]string{} // GraphQL type -> normalised names
	for _, d := range dataFields(t) {
		if d.Sensitive || d.Sealed || d.Lookup || d.Mask != "" {
			names[d.Schema] = append(names[d.Schema], norm(d.Column), norm(strings.TrimSuffix(d.Column, "_cipher")))
		}
	}
	for _, g := range datamap.GraphFields(s) {
		if g.Mask != "" {
			names[g.Type] = append(names[g.Type], norm(g.Field))
		}
	}
	for typ, ns := range names {
		if where := s.Types[typ+"WhereInput"]; where != nil {
			for _, f := range where.Fields {
				for _, n := range ns {
					if strings.HasPrefix(norm(f.Name), n) {
						t.Errorf("%s.%s filters by personal data (%s)", where.Name, f.Name, n)
					}
				}
			}
		}
		if order := s.Types[typ+"OrderField"]; order != nil {
			for _, v := range order.EnumValues {
				if slices.Contains(ns, norm(v.Name)) {
					t.Errorf("%s.%s orders by personal data", order.Name, v.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no personal data found: the test proves nothing")
	}
	// Types holding personal data get no generated filter at all.
	for _, typ := range []string{"User", "Account", "Address", "Order", "Delivery", "StudentVerification", "Feedback"} {
		if s.Types[typ+"WhereInput"] != nil || s.Types[typ+"OrderField"] != nil {
			t.Errorf("%s can be filtered or ordered", typ)
		}
	}
}

// ent fields flagged Sensitive() never reach the graph on their own.
func TestEntSensitiveFieldsAreNotGenerated(t *testing.T) {
	s := gqlSchema(t)
	n := 0
	for _, sc := range entschema.All {
		typ := reflect.TypeOf(sc).Name()
		for _, f := range sc.Fields() {
			d := f.Descriptor()
			if !d.Sensitive {
				continue
			}
			n++
			if def := s.Types[typ]; def != nil {
				for _, gf := range def.Fields {
					if norm(gf.Name) == norm(d.Name) {
						t.Errorf("%s.%s is Sensitive() in ent but generated as %s.%s", typ, d.Name, typ, gf.Name)
					}
				}
			}
			skipped := false
			for _, a := range d.Annotations {
				if ga, ok := a.(entgql.Annotation); ok && ga.Skip&entgql.SkipType != 0 {
					skipped = true
				}
			}
			if !skipped && !schemaSkipped(sc) {
				t.Errorf("%s.%s is Sensitive() but not skipped by entgql", typ, d.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no Sensitive() fields found")
	}
}

// schemaSkipped reports whether the whole ent schema is left out of the graph.
func schemaSkipped(sc ent.Interface) bool {
	for _, a := range sc.Annotations() {
		if ga, ok := a.(entgql.Annotation); ok && ga.Skip&entgql.SkipType != 0 {
			return true
		}
	}
	return false
}

// The GraphQL enums are the Go catalogues, value for value.
func TestEnumsMatchCatalogues(t *testing.T) {
	s := gqlSchema(t)
	values := func(name string) []string {
		var out []string
		for _, v := range s.Types[name].EnumValues {
			out = append(out, v.Name)
		}
		sort.Strings(out)
		return out
	}
	var purposes, kinds []string
	for _, p := range pii.Purposes() {
		purposes = append(purposes, string(p.Purpose))
	}
	for _, k := range mask.Kinds() {
		kinds = append(kinds, string(k))
	}
	sort.Strings(purposes)
	sort.Strings(kinds)
	if got := values("Purpose"); !slices.Equal(got, purposes) {
		t.Errorf("Purpose enum %v, catalogue %v", got, purposes)
	}
	if got := values("MaskKind"); !slices.Equal(got, kinds) {
		t.Errorf("MaskKind enum %v, catalogue %v", got, kinds)
	}
}

// A directive declared but not wired fails only at run time: check them all.
func TestEveryDirectiveIsWired(t *testing.T) {
	s := gqlSchema(t)
	cfg := resolvers.Config(resolvers.New(&app.Services{Privacy: &privacy.Service{}}))
	root := reflect.ValueOf(cfg.Directives)
	for name, d := range s.Directives {
		if d.Position == nil || d.Position.Src.BuiltIn || name == "goField" || name == "goModel" ||
			name == "goTag" || name == "goExtraField" || name == "goEnum" {
			continue
		}
		f := root.FieldByName(strings.ToUpper(name[:1]) + name[1:])
		if !f.IsValid() {
			t.Errorf("@%s has no DirectiveRoot field", name)
			continue
		}
		if f.IsNil() {
			t.Errorf("@%s is declared but not wired", name)
		}
	}
}

// Exactly these fields stay available while a policy update is pending (P1).
func TestPolicyExemptFields(t *testing.T) {
	s := gqlSchema(t)
	var got []string
	for _, typ := range []string{"Query", "Mutation", "Subscription"} {
		def := s.Types[typ]
		if def == nil {
			continue
		}
		for _, f := range def.Fields {
			if f.Directives.ForName("policyExempt") != nil {
				got = append(got, typ+"."+f.Name)
			}
		}
	}
	sort.Strings(got)
	// P1: reading and accepting the policy, consents, and the user's rights
	// (export, cancellation, requests, the step-up they need) stay open.
	want := []string{
		"Mutation.acceptPrivacyPolicy", "Mutation.dataExportLink", "Mutation.grantConsent", "Mutation.logout",
		"Mutation.requestAccountCancellation", "Mutation.requestDataExport", "Mutation.requestRevealCode",
		"Mutation.setKinArrangement", "Mutation.submitKinRequest", "Mutation.submitPrivacyRequest",
		"Mutation.verifyReveal", "Mutation.withdrawConsent",
		"Query.cancellationTerms", "Query.consentPurposes", "Query.myConsentHistory", "Query.myConsents",
		"Query.myDataExports", "Query.myPrivacyRequests", "Query.privacyContact", "Query.privacyPolicy",
	}
	if !slices.Equal(got, want) {
		t.Errorf("exempt fields %v, want %v", got, want)
	}
}

// schema.All lists every ent schema, one table each.
func TestSchemaListIsComplete(t *testing.T) {
	if len(entschema.All) != len(migrate.Tables) {
		t.Fatalf("schema.All has %d schemas, the database %d tables", len(entschema.All), len(migrate.Tables))
	}
	seen := map[string]bool{}
	for _, d := range dataFields(t) {
		seen[d.Table] = true
	}
	if !seen["users"] {
		t.Fatal("users table not mapped")
	}
}

// Every @consent of a field counts, not only the first: the catalog lists
// the four separate consents a Class II account needs.
func TestEveryConsentOfAFieldIsRead(t *testing.T) {
	for _, g := range datamap.GraphFields(gqlSchema(t)) {
		if g.Type == "Mutation" && g.Field == "applyBankAccount" {
			if len(g.Consents) != 4 {
				t.Fatalf("applyBankAccount consents: %+v", g.Consents)
			}
			return
		}
	}
	t.Fatal("applyBankAccount is not a guarded field")
}

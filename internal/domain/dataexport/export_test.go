package dataexport_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/dataexport"
	"github.com/tongxue/tongxue/internal/infra/datamap"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

// R6: the export of a user who has every kind of personal data the
// catalogue holds shows every personal field of datamap.DataFields (its
// column in the table's file, the user's own value, in full), none of
// another user's values, a README that explains each field, and files that
// fit schema.json.
func TestExportHoldsEveryPersonalField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{Bank: func(s *bank.Sandbox) bank.Bank { return downBank{s} }})
		tok, want := giveAliceEverything(t, e)
		others := bobsValues(t, e, tok)

		x := requestExport(t, e, tok)
		if x.Status != "READY" || x.SizeBytes == nil || *x.SizeBytes == 0 || x.ExpiresAt == nil {
			t.Fatalf("export %+v, want READY with a size and an expiry", x)
		}
		// At rest the archive is sealed like every other personal value.
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, alice, aliceAddress, aliceID, aliceAccount, "王大明")

		stepUp(t, e, tok, alice)
		got := fetch(t, linkFor(t, e, tok, x.ID), tok)
		if got.status != 200 || got.header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment;") || got.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("download: %d %v %s", got.status, got.header, got.body)
		}
		names, files := unzip(t, got.body)
		if len(names) < 3 || names[0] != "README.md" || names[1] != "schema.json" {
			t.Fatalf("entries %v: README.md and schema.json first", names)
		}
		data := readFiles(t, files)

		fields, err := datamap.DataFields()
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) < 30 {
			t.Fatalf("only %d personal fields in the catalogue: wrong map?", len(fields))
		}
		for _, f := range fields {
			checkField(t, f, want, data, files)
		}
		for aad := range want {
			if !slices.ContainsFunc(fields, func(f datamap.DataField) bool { return f.AAD() == aad }) {
				t.Errorf("the test expects %s, which is not a personal field of the catalogue", aad)
			}
		}
		if users := data["users"]; len(users) != 1 {
			t.Errorf("users.json holds %d accounts, want alice's only", len(users))
		}
		var all bytes.Buffer
		for _, n := range names {
			all.Write(files[n])
		}
		for _, v := range others {
			if bytes.Contains(all.Bytes(), []byte(v)) {
				t.Errorf("alice's export holds bob's %q", v)
			}
		}
		checkSchema(t, files["schema.json"], data)
		checkReadme(t, string(files["README.md"]), fields, data)
	})
}

// readFiles parses every <table>.json of the archive into its records.
func readFiles(t *testing.T, files map[string][]byte) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for name, b := range files {
		if !strings.HasSuffix(name, ".json") || strings.Contains(name, "/") || name == "schema.json" {
			continue
		}
		var doc struct {
			Format, Schema, Table, Title, ExportedAt string
			Records                                  []map[string]any
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Format != dataexport.Format || doc.Table+".json" != name || doc.Title == "" || doc.ExportedAt == "" ||
			doc.Schema != "schema.json#/$defs/"+doc.Table {
			t.Errorf("%s: envelope %+v", name, doc)
		}
		out[doc.Table] = doc.Records
	}
	return out
}

// checkField finds the expected value of one personal field in its table's
// file.
func checkField(t *testing.T, f datamap.DataField, want map[string]any, data map[string][]map[string]any, files map[string][]byte) {
	t.Helper()
	aad := f.AAD()
	w, ok := want[aad]
	switch {
	case !ok:
		t.Errorf("%s is personal data the test user does not have: give alice one in giveAliceEverything", aad)
		return
	case f.Lookup && w != lookup:
		t.Errorf("%s is a keyed hash: expect it as lookup", aad)
	}
	records, ok := data[f.Table]
	if !ok || len(records) == 0 {
		t.Errorf("%s: no %s.json records in the export", aad, f.Table)
		return
	}
	found := false
	for _, r := range records {
		v, has := r[f.Column]
		if !has {
			t.Errorf("%s: a record of %s.json lacks the column", aad, f.Table)
			return
		}
		switch w := w.(type) {
		case marker:
			found = found || w == withheld || v == dataexport.LookupMarker
		case string:
			s, _ := v.(string)
			found = found || strings.Contains(s, w)
		case []byte:
			ref, _ := v.(map[string]any)
			path, _ := ref["file"].(string)
			found = found || (path != "" && bytes.Equal(files[path], w))
		}
	}
	if !found {
		t.Errorf("%s: alice's value is not in %s.json", aad, f.Table)
	}
}

// checkSchema holds every record to the columns schema.json lists for its
// table (required, and nothing else).
func checkSchema(t *testing.T, raw []byte, data map[string][]map[string]any) {
	t.Helper()
	var doc struct {
		Defs map[string]struct {
			Properties struct {
				Records struct {
					Items struct {
						Required   []string
						Properties map[string]any
					}
				}
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	for table, records := range data {
		def, ok := doc.Defs[table]
		if !ok {
			t.Errorf("schema.json does not define %s", table)
			continue
		}
		cols := def.Properties.Records.Items.Required
		if len(cols) == 0 || len(cols) != len(def.Properties.Records.Items.Properties) {
			t.Errorf("schema.json %s: required %v", table, cols)
		}
		for _, r := range records {
			keys := make([]string, 0, len(r))
			for k := range r {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, slices.Sorted(slices.Values(cols))) {
				t.Errorf("%s.json record has %v, schema.json says %v", table, keys, cols)
				break
			}
		}
	}
}

// checkReadme wants each file listed and each personal field explained in
// its file's section with its category.
func checkReadme(t *testing.T, readme string, fields []datamap.DataField, data map[string][]map[string]any) {
	t.Helper()
	for _, want := range []string{"个人信息保护法", "schema.json", dataexport.LookupMarker, "privacy@lexin.com", "9:00–18:00", "```json"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not mention %q", want)
		}
	}
	sections := map[string]string{}
	for _, s := range strings.Split(readme, "\n### `")[1:] {
		name, body, _ := strings.Cut(s, "`")
		sections[strings.TrimSuffix(name, ".json")] = body
	}
	for table := range data {
		if !strings.Contains(readme, "| `"+table+".json` |") || sections[table] == "" {
			t.Errorf("README.md does not list or explain %s.json", table)
		}
	}
	for _, f := range fields {
		row := "| `" + f.Column + "` |"
		i := strings.Index(sections[f.Table], row)
		if i < 0 {
			t.Errorf("README.md does not explain %s", f.AAD())
			continue
		}
		line, _, _ := strings.Cut(sections[f.Table][i:], "\n")
		if !strings.Contains(line, f.Category) {
			t.Errorf("README.md row of %s lacks its category %q: %s", f.AAD(), f.Category, line)
		}
	}
}

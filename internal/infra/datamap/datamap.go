// Package datamap is the map of personal data, read from the annotations it
// is declared with: which columns of the data model hold personal data (the
// pii annotations of ent/schema) and which GraphQL fields are guarded (@mask,
// @consent). The privacy catalogue, key rotation and the privacy tests all
// read it, so none of them keeps its own list.
package datamap

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/ent/migrate"
	"github.com/tongxue/tongxue/ent/schema"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// DataField is a column of the data model marked as personal data.
type DataField struct {
	Schema, Name  string // ent schema and field
	Table, Column string
	pii.Field
}

// AAD is the associated data sealed values of the column are bound to.
func (d DataField) AAD() string { return d.Table + "." + d.Column }

// GraphField is a GraphQL field carrying privacy directives.
type GraphField struct {
	Type, Field string
	Mask        mask.Kind // "" when not masked
	Consents    []Consent // every @consent on the field
	Nullable    bool
}

// Consent is one @consent: the purpose and whose consent (VIEWER or OWNER).
type Consent struct {
	Purpose pii.Purpose
	Of      string
}

// DataFields reads the pii annotations of every ent schema.
func DataFields() ([]DataField, error) {
	var out []DataField
	for _, s := range schema.All {
		typ := reflect.TypeOf(s).Name()
		table, err := tableOf(typ)
		if err != nil {
			return nil, err
		}
		for _, f := range s.Fields() {
			d := f.Descriptor()
			for _, a := range d.Annotations {
				if p, ok := a.(pii.Field); ok {
					out = append(out, DataField{Schema: typ, Name: d.Name, Table: table, Column: d.Name, Field: p})
				}
			}
		}
	}
	return out, nil
}

// tableOf finds the table ent made for a schema type (snake case, plural).
func tableOf(typ string) (string, error) {
	snake := toSnake(typ)
	for _, t := range migrate.Tables {
		if strings.HasPrefix(t.Name, snake) && len(t.Name)-len(snake) <= 2 {
			return t.Name, nil
		}
	}
	return "", fmt.Errorf("datamap: no table for schema %s", typ)
}

func toSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// GraphFields lists the fields of a GraphQL schema that carry @mask or
// @consent.
func GraphFields(s *ast.Schema) []GraphField {
	var out []GraphField
	for _, def := range s.Types {
		if def.BuiltIn || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			g := GraphField{Type: def.Name, Field: f.Name, Nullable: !f.Type.NonNull}
			if d := f.Directives.ForName("mask"); d != nil {
				g.Mask = mask.Kind(argString(d, "kind"))
			}
			for _, d := range f.Directives.ForNames("consent") {
				c := Consent{Purpose: pii.Purpose(argString(d, "purpose")), Of: argString(d, "of")}
				if c.Of == "" {
					c.Of = "VIEWER" // the directive's default
				}
				g.Consents = append(g.Consents, c)
			}
			if g.Mask != "" || len(g.Consents) > 0 {
				out = append(out, g)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Type+"."+out[i].Field < out[j].Type+"."+out[j].Field
	})
	return out
}

func argString(d *ast.Directive, name string) string {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return ""
}

// SealedColumns are the columns holding ciphertext (for key rotation).
func SealedColumns() ([]DataField, error) {
	all, err := DataFields()
	if err != nil {
		return nil, err
	}
	var out []DataField
	for _, d := range all {
		if d.Sealed {
			out = append(out, d)
		}
	}
	return out, nil
}

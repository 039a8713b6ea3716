package dataexport

import "entgo.io/ent/schema/field"

// jsonSchema is schema.json: the JSON Schema (draft 2020-12) of every data
// file of the copy, one definition per table, read from the same plan as
// the files, so the two cannot disagree. Maps marshal with sorted keys:
// the document is the same for the same plan.
func jsonSchema(tables []table) ([]byte, error) {
	defs := map[string]any{
		"file": map[string]any{
			"type":                 "object",
			"description":          "二进制内容（证件照片、人脸信息等），存于副本内的 files/ 目录",
			"required":             []string{"file", "contentType", "size"},
			"additionalProperties": false,
			"properties": map[string]any{
				"file":        map[string]any{"type": "string", "description": "副本内的路径"},
				"contentType": map[string]any{"type": "string"},
				"size":        map[string]any{"type": "integer", "minimum": 0},
			},
		},
	}
	for _, t := range tables {
		props := map[string]any{}
		required := make([]string, 0, len(t.columns))
		for _, c := range t.columns {
			props[c.name] = columnSchema(c)
			required = append(required, c.name)
		}
		defs[t.name] = map[string]any{
			"type":                 "object",
			"title":                titleOf(t.name),
			"required":             []string{"format", "schema", "table", "title", "exportedAt", "records"},
			"additionalProperties": false,
			"properties": map[string]any{
				"format":     map[string]any{"const": Format},
				"schema":     map[string]any{"type": "string"},
				"table":      map[string]any{"const": t.name},
				"title":      map[string]any{"type": "string"},
				"exportedAt": map[string]any{"type": "string", "format": "date-time"},
				"records": map[string]any{"type": "array", "items": map[string]any{
					"type": "object", "required": required, "additionalProperties": false, "properties": props,
				}},
			},
		}
	}
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "schema.json",
		"title":       "同学 App 个人信息副本（" + Format + "）",
		"description": "每个数据文件（<表名>.json）符合 $defs 中同名的定义。",
		"$defs":       defs,
	}
	return marshalIndent(doc)
}

func columnSchema(c column) map[string]any {
	s := map[string]any{}
	if c.field != nil {
		s["description"] = c.field.Category
	}
	switch c.kind {
	case lookup:
		s["enum"] = []any{LookupMarker, nil}
		return s
	case withheld:
		s["type"] = []string{"string", "null"}
		return s
	case sealed:
		s["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"$ref": "#/$defs/file"}, map[string]any{"type": "null"}}
		return s
	}
	var typ string
	switch {
	case c.typ == field.TypeTime:
		typ, s["format"] = "string", "date-time"
	case c.typ == field.TypeBool:
		typ = "boolean"
	case c.typ.Integer():
		typ = "integer"
	case c.typ.Float():
		typ = "number"
	case c.typ == field.TypeJSON:
		return s // any JSON value
	default:
		typ = "string"
	}
	if len(c.enums) > 0 {
		enum := make([]any, 0, len(c.enums)+1)
		for _, e := range c.enums {
			enum = append(enum, e)
		}
		if c.nullable {
			enum = append(enum, nil)
		}
		s["enum"] = enum
	}
	if c.nullable {
		s["type"] = []string{typ, "null"}
	} else {
		s["type"] = typ
	}
	return s
}

package dataexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// What the copy shows for fields it lists but does not carry.
const (
	// LookupMarker stands for a keyed hash (HMAC-SHA256) kept to find a
	// record by an exact value: it cannot be turned back into the value.
	LookupMarker = "【密钥哈希：仅用于查找，无法还原为原文】"
	// WithheldMarker prefixes the reason a held field is not in the copy.
	WithheldMarker = "【未包含："
)

// fileRef is what a record holds for binary content stored beside it.
type fileRef struct {
	File        string `json:"file"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
}

// kv is one field of a record.
type kv struct {
	key   string
	value any
}

// record keeps its fields in the data model's column order, so the same
// data always gives the same bytes.
type record []kv

func (r record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		b.Write(bytes.TrimRight(v, "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal writes JSON without HTML escaping (values are read by people and
// other processors, not embedded in pages).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// plainValue turns a scanned column into its JSON form by the column's type
// (drivers differ: SQLite gives booleans as integers).
func plainValue(c column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch {
	case c.typ == field.TypeTime:
		t, err := asTime(v)
		if err != nil {
			return nil, err
		}
		return t.In(chinatime.Zone).Format(time.RFC3339Nano), nil
	case c.typ == field.TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case c.typ.Integer():
		if x, ok := v.(int64); ok {
			return x, nil
		}
		n, err := strconv.ParseInt(asString(v), 10, 64)
		if err != nil {
			return nil, errNotNumber // the error would quote the value
		}
		return n, nil
	case c.typ.Float():
		if x, ok := v.(float64); ok {
			return x, nil
		}
		n, err := strconv.ParseFloat(asString(v), 64)
		if err != nil {
			return nil, errNotNumber
		}
		return n, nil
	case c.typ == field.TypeJSON:
		if raw := []byte(asString(v)); json.Valid(raw) {
			return json.RawMessage(raw), nil
		}
	}
	return asString(v), nil
}

var errNotNumber = errors.New("not a number")

func asString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"}

func asTime(v any) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		return t, nil
	}
	s := asString(v)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time (%d bytes)", len(s))
}

// isText reports whether an opened value is text to show as a string;
// anything else (photos, face data, documents) becomes a file.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// extension names a file by its content.
func extension(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "application/pdf":
		return ".pdf"
	}
	return ".bin"
}

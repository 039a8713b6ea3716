package dataexport

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// Format names the layout of the copy's JSON files (the transfer format).
const Format = "tongxue.personal-data-export/1"

// querier reads inside the build's transaction (*ent.Tx).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// dataFile is one JSON file of the copy: the user's rows of one table.
type dataFile struct {
	Format     string   `json:"format"`
	Schema     string   `json:"schema"`
	Table      string   `json:"table"`
	Title      string   `json:"title"`
	ExportedAt string   `json:"exportedAt"`
	Records    []record `json:"records"`
}

// contents is everything read for one user, before it is zipped.
type contents struct {
	at     time.Time
	userID int
	tables []table
	data   map[string]*dataFile
	blobs  map[string][]byte // files/ and pictures/, by path
}

// collect reads the user's rows of every planned table, opening sealed
// values, and the pictures they refer to.
func (s *Service) collect(ctx context.Context, q querier, userID int, at time.Time) (*contents, error) {
	tables, err := plan()
	if err != nil {
		return nil, err
	}
	rs := map[string]route{}
	for _, t := range tables {
		rs[t.name] = t.route
	}
	c := &contents{at: at, userID: userID, tables: tables, data: map[string]*dataFile{}, blobs: map[string][]byte{}}
	d := entsql.Dialect(s.dialect)
	for _, t := range tables {
		names := make([]string, len(t.columns))
		for i, col := range t.columns {
			names[i] = col.name
		}
		query, args := d.Select(names...).From(entsql.Table(t.name)).Where(owned(d, rs, t.name, userID)).OrderBy("id").Query()
		records, err := s.readRows(ctx, q, t, query, args, c)
		if err != nil {
			return nil, fmt.Errorf("dataexport: read %s: %w", t.name, err)
		}
		c.data[t.name] = &dataFile{Format: Format, Schema: "schema.json#/$defs/" + t.name, Table: t.name,
			Title: titleOf(t.name), ExportedAt: at.In(chinatime.Zone).Format(time.RFC3339), Records: records}
	}
	return c, nil
}

func (s *Service) readRows(ctx context.Context, q querier, t table, query string, args []any, c *contents) ([]record, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []record{}
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	idAt := slices.IndexFunc(t.columns, func(col column) bool { return col.name == "id" }) // plan checks it is there
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		id := fmt.Sprint(vals[idAt])
		rec := make(record, 0, len(t.columns))
		for i, col := range t.columns {
			v, err := s.value(ctx, t, col, id, vals[i], c)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", col.name, err)
			}
			rec = append(rec, kv{col.name, v})
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// value is how one cell appears in the copy. Errors never quote the value.
func (s *Service) value(ctx context.Context, t table, col column, id string, v any, c *contents) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch col.kind {
	case lookup:
		return LookupMarker, nil
	case withheld:
		return WithheldMarker + notCopied[t.name+"."+col.name] + "】", nil
	case sealed:
		raw, ok := v.([]byte)
		if !ok {
			raw = []byte(asString(v))
		}
		plainBytes, err := s.keys.Ring.Open(raw, col.field.AAD())
		if err != nil {
			return nil, err
		}
		if isText(plainBytes) {
			return string(plainBytes), nil
		}
		ct := http.DetectContentType(plainBytes)
		path := fmt.Sprintf("files/%s/%s-%s%s", t.name, id, col.name, extension(ct))
		c.blobs[path] = plainBytes
		return fileRef{File: path, ContentType: ct, Size: len(plainBytes)}, nil
	}
	out, err := plainValue(col, v)
	if err != nil || !col.picture {
		return out, err
	}
	if err := s.addPicture(ctx, asString(out), c); err != nil {
		return nil, err
	}
	return out, nil
}

// addPicture copies a stored picture into pictures/<key>.<ext>; one that
// is gone (released) is simply not there.
func (s *Service) addPicture(ctx context.Context, ref string, c *contents) error {
	key := strings.TrimPrefix(media.Unsigned(ref), media.URLPath)
	if !media.ValidKey(key) || s.media == nil {
		return nil
	}
	b, ct, err := s.media.Get(ctx, key)
	if errors.Is(err, media.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	c.blobs["pictures/"+key+extension(ct)] = b
	return nil
}

// zipped writes the copy: README.md, schema.json, one JSON file per table
// in plan order, then files/ and pictures/ by name. Same contents, same
// bytes (entries carry the export's time).
func (c *contents) zipped() ([]byte, error) {
	schemaDoc, err := jsonSchema(c.tables)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name string, b []byte) error {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: c.at.In(chinatime.Zone)})
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		return err
	}
	if err := add("README.md", []byte(readme(c, schemaDoc))); err != nil {
		return nil, err
	}
	if err := add("schema.json", schemaDoc); err != nil {
		return nil, err
	}
	for _, t := range c.tables {
		b, err := marshalIndent(c.data[t.name])
		if err != nil {
			return nil, fmt.Errorf("dataexport: %s: %w", t.name, err)
		}
		if err := add(t.name+".json", b); err != nil {
			return nil, err
		}
	}
	paths := make([]string, 0, len(c.blobs))
	for p := range c.blobs {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := add(p, c.blobs[p]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func marshalIndent(v any) ([]byte, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

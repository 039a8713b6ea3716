package gid_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/gid"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func secret(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func codec(t *testing.T) *gid.Codec {
	t.Helper()
	c, err := gid.NewCodec(secret(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ids covers small IDs and the edges of ent's per-type ranges (type n owns
// [n<<32, (n+1)<<32)).
func ids() []int {
	out := []int{1, 2, 3, 42, 255, 256, 65535, 65536, 1<<31 - 1, 1 << 31, 1<<62 - 1, 1 << 62}
	for n := range 12 {
		base := n << 32
		for _, d := range []int{-2, -1, 0, 1, 2, 1000} {
			if id := base + d; id > 0 && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

func TestNewCodecNeedsLongSecret(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := gid.NewCodec(make([]byte, n)); err == nil {
			t.Errorf("NewCodec(%d bytes) succeeded", n)
		}
	}
	if _, err := gid.NewCodec(make([]byte, 32)); err != nil {
		t.Errorf("NewCodec(32 bytes): %v", err)
	}
}

func TestEncodeDecodeIDRoundTrip(t *testing.T) {
	c := codec(t)
	seen := map[string]int{}
	for _, id := range ids() {
		s := c.EncodeID(id)
		if len(s) != 22 {
			t.Fatalf("EncodeID(%d) = %q: length %d, want 22", id, s, len(s))
		}
		if strings.Trim(s, alphabet) != "" {
			t.Fatalf("EncodeID(%d) = %q is not URL-safe base64", id, s)
		}
		if s != c.EncodeID(id) {
			t.Fatalf("EncodeID(%d) is not deterministic", id)
		}
		if prev, dup := seen[s]; dup {
			t.Fatalf("EncodeID(%d) == EncodeID(%d) == %q", id, prev, s)
		}
		seen[s] = id
		got, err := c.DecodeID(s)
		if err != nil || got != id {
			t.Fatalf("DecodeID(EncodeID(%d)) = %d, %v", id, got, err)
		}
		// The plain number does not show through.
		if strings.Contains(s, strconv.Itoa(id)) && id > 1000 {
			t.Fatalf("EncodeID(%d) = %q shows the number", id, s)
		}
	}
}

func TestDecodeIDRejectsOutOfRange(t *testing.T) {
	c := codec(t)
	for _, id := range []int{0, -1, -(1 << 32), 1<<62 + 1, math.MaxInt} {
		if got, err := c.DecodeID(c.EncodeID(id)); !errors.Is(err, gid.ErrInvalidID) {
			t.Errorf("DecodeID(EncodeID(%d)) = %d, %v; want ErrInvalidID", id, got, err)
		}
	}
}

func TestDecodeIDRejectsGarbage(t *testing.T) {
	c := codec(t)
	s := c.EncodeID(1<<32 + 7)
	for _, bad := range []string{"", "x", s[:21], s + "A", s + s, strings.Repeat("A", 22), "!" + s[1:], s[:21] + "=", "MTIz"} {
		if got, err := c.DecodeID(bad); !errors.Is(err, gid.ErrInvalidID) {
			t.Errorf("DecodeID(%q) = %d, %v; want ErrInvalidID", bad, got, err)
		}
	}
	// Standard (non-URL) base64 of a valid ID is not the ID.
	raw, _ := base64.RawURLEncoding.DecodeString(s)
	if std := base64.StdEncoding.EncodeToString(raw); std != s {
		if _, err := c.DecodeID(std); err == nil {
			t.Errorf("DecodeID accepted padded standard base64 %q", std)
		}
	}
}

func TestCodecsDoNotDecodeEachOther(t *testing.T) {
	a, b := codec(t), codec(t)
	for _, id := range ids() {
		sa, sb := a.EncodeID(id), b.EncodeID(id)
		if sa == sb {
			t.Fatalf("two secrets give the same string for %d", id)
		}
		if got, err := b.DecodeID(sa); !errors.Is(err, gid.ErrInvalidID) {
			t.Fatalf("codec b decoded codec a's ID %d as %d, %v", id, got, err)
		}
		if got, err := a.DecodeID(sb); !errors.Is(err, gid.ErrInvalidID) {
			t.Fatalf("codec a decoded codec b's ID %d as %d, %v", id, got, err)
		}
	}
	// The same secret gives the same codec.
	s := secret(t)
	c1, _ := gid.NewCodec(s)
	c2, _ := gid.NewCodec(bytes.Clone(s))
	if c1.EncodeID(99) != c2.EncodeID(99) {
		t.Fatal("the same secret gives different IDs")
	}
}

// An ID is one string: any other string, in particular the ID with one
// character changed, must not decode (the package doc promises "one ID, one
// string" and that "an edited string does not decode").
func TestDecodeIDRejectsEverySingleCharacterChange(t *testing.T) {
	c := codec(t)
	for _, id := range []int{1, 1 << 32, 3<<32 + 17} {
		s := c.EncodeID(id)
		for pos := range len(s) {
			var accepted []string
			for _, r := range alphabet {
				if byte(r) == s[pos] {
					continue
				}
				edited := s[:pos] + string(r) + s[pos+1:]
				if got, err := c.DecodeID(edited); err == nil {
					accepted = append(accepted, edited+"→"+strconv.Itoa(got))
				} else if !errors.Is(err, gid.ErrInvalidID) {
					t.Fatalf("DecodeID(%q): %v, want ErrInvalidID", edited, err)
				}
			}
			if len(accepted) > 0 {
				t.Errorf("ID %d = %q: changing position %d still decodes (%d of 63 replacements), e.g. %s",
					id, s, pos, len(accepted), accepted[0])
			}
		}
	}
}

// Characters a base64 decoder may skip must not make a second spelling.
func TestDecodeIDRejectsInsertedLineBreaks(t *testing.T) {
	c := codec(t)
	s := c.EncodeID(1<<32 + 5)
	for _, edited := range []string{s + "\n", "\r" + s, s[:11] + "\r\n" + s[11:]} {
		if got, err := c.DecodeID(edited); err == nil {
			t.Errorf("DecodeID(%q) = %d: a second spelling of the ID decodes", edited, got)
		}
	}
}

func TestSealOpenCursor(t *testing.T) {
	c := codec(t)
	for _, plain := range [][]byte{{}, []byte("x"), []byte("gaFpzwAAAAEAAAAFoXahWA"), bytes.Repeat([]byte("cursor"), 50)} {
		s := c.Seal(plain)
		if strings.Trim(s, alphabet) != "" {
			t.Fatalf("Seal = %q is not URL-safe base64", s)
		}
		if len(plain) > 3 && strings.Contains(s, string(plain)) {
			t.Fatalf("Seal shows the plain text: %q", s)
		}
		got, err := c.Open(s)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		if s == c.Seal(plain) {
			t.Fatal("two seals of one cursor are equal (no random nonce)")
		}
	}
	other := codec(t)
	if _, err := other.Open(c.Seal([]byte("x"))); !errors.Is(err, gid.ErrInvalidCursor) {
		t.Fatalf("another codec opened the cursor: %v", err)
	}
	for _, bad := range []string{"", "abc", "!!!!", strings.Repeat("A", 40)} {
		if _, err := c.Open(bad); !errors.Is(err, gid.ErrInvalidCursor) {
			t.Fatalf("Open(%q) = %v, want ErrInvalidCursor", bad, err)
		}
	}
}

func TestOpenCursorTamperedBytesFail(t *testing.T) {
	c := codec(t)
	s := c.Seal([]byte("gaFpzwAAAAEAAAAFoXahWA"))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for bit := range 8 {
			bad := bytes.Clone(raw)
			bad[i] ^= 1 << bit
			if p, err := c.Open(base64.RawURLEncoding.EncodeToString(bad)); !errors.Is(err, gid.ErrInvalidCursor) {
				t.Fatalf("byte %d bit %d flipped: Open = %q, %v", i, bit, p, err)
			}
		}
	}
	for n := range len(s) {
		if _, err := c.Open(s[:n]); err == nil {
			t.Fatalf("truncated to %d characters: opened", n)
		}
	}
}

// Like IDs, a sealed cursor has one spelling: editing any character must
// make it fail.
func TestOpenCursorRejectsEverySingleCharacterChange(t *testing.T) {
	c := codec(t)
	// Plain lengths that leave 0, 2 and 4 spare bits in the last character.
	for _, plain := range []string{"ab", "abc", "abcd"} {
		s := c.Seal([]byte(plain))
		for pos := range len(s) {
			n := 0
			var example string
			for _, r := range alphabet {
				if byte(r) == s[pos] {
					continue
				}
				edited := s[:pos] + string(r) + s[pos+1:]
				if _, err := c.Open(edited); err == nil {
					n++
					example = edited
				}
			}
			if n > 0 {
				t.Errorf("cursor %q (plain %q): changing position %d of %d still opens (%d of 63 replacements), e.g. %q",
					s, plain, pos, len(s), n, example)
			}
		}
	}
}

func TestScalarsID(t *testing.T) {
	c := codec(t)
	ctx := gid.WithCodec(context.Background(), c)
	if got, err := gid.FromContext(ctx); err != nil || got != c {
		t.Fatalf("FromContext = %p, %v", got, err)
	}

	var buf bytes.Buffer
	if err := gid.MarshalID(1<<32+9).MarshalGQLContext(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	want := strconv.Quote(c.EncodeID(1<<32 + 9))
	if buf.String() != want {
		t.Fatalf("MarshalID wrote %s, want %s", buf.String(), want)
	}
	s, err := strconv.Unquote(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	id, err := gid.UnmarshalID(ctx, s)
	if err != nil || id != 1<<32+9 {
		t.Fatalf("UnmarshalID = %d, %v", id, err)
	}

	// Not a string, or not a valid ID: the client's mistake.
	for _, v := range []any{42, 42.0, nil, true, []any{s}, map[string]any{}} {
		_, err := gid.UnmarshalID(ctx, v)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.CodeBadUserInput {
			t.Errorf("UnmarshalID(%#v) = %v, want BAD_USER_INPUT", v, err)
		}
	}
	for _, v := range []string{"", "1", "4294967297", s[:21]} {
		_, err := gid.UnmarshalID(ctx, v)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.CodeBadUserInput {
			t.Errorf("UnmarshalID(%q) = %v, want BAD_USER_INPUT", v, err)
		}
	}

	// Without a codec both directions fail, and not as the client's fault.
	bare := context.Background()
	if _, err := gid.FromContext(bare); err == nil {
		t.Fatal("FromContext without a codec succeeded")
	}
	buf.Reset()
	if err := gid.MarshalID(5).MarshalGQLContext(bare, &buf); err == nil || buf.Len() != 0 {
		t.Fatalf("MarshalID without codec: wrote %q, %v", buf.String(), err)
	}
	if _, err := gid.UnmarshalID(bare, s); err == nil || apperr.CodeOf(err) != apperr.CodeInternal {
		t.Fatalf("UnmarshalID without codec: %v (code %s)", err, apperr.CodeOf(err))
	}
}

func TestScalarsCursor(t *testing.T) {
	c := codec(t)
	ctx := gid.WithCodec(context.Background(), c)
	cur := entgql.Cursor[int]{ID: 5, Value: "x"}

	var plain bytes.Buffer
	cur.MarshalGQL(&plain)
	plainB64, err := strconv.Unquote(plain.String())
	if err != nil || plainB64 == "" {
		t.Fatalf("plain cursor %q: %v", plain.String(), err)
	}

	var buf bytes.Buffer
	if err := gid.MarshalCursor(cur).MarshalGQLContext(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	s, err := strconv.Unquote(buf.String())
	if err != nil {
		t.Fatalf("MarshalCursor wrote %s: %v", buf.String(), err)
	}
	if strings.Contains(s, plainB64) {
		t.Fatalf("sealed cursor %q contains the plain cursor %q", s, plainB64)
	}
	if inner, err := c.Open(s); err != nil || string(inner) != plainB64 {
		t.Fatalf("sealed cursor opens to %q, %v; want %q", inner, err, plainB64)
	}

	got, err := gid.UnmarshalCursor(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 5 || got.Value != "x" {
		t.Fatalf("UnmarshalCursor = %+v, want {ID:5 Value:x}", got)
	}

	// A plain (unsealed) cursor, a non-string, a tampered cursor: client errors.
	for _, v := range []any{plainB64, 5, nil, s[:len(s)-2], "A" + s[1:]} {
		if v == any(s) {
			continue
		}
		_, err := gid.UnmarshalCursor(ctx, v)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.CodeBadUserInput {
			t.Errorf("UnmarshalCursor(%#v) = %v, want BAD_USER_INPUT", v, err)
		}
	}
	// A sealed string that is not a cursor inside.
	if _, err := gid.UnmarshalCursor(ctx, c.Seal([]byte("!!not msgpack"))); apperr.CodeOf(err) != apperr.CodeBadUserInput {
		t.Errorf("UnmarshalCursor(sealed garbage) = %v", err)
	}
	// Another codec's cursor.
	other := gid.WithCodec(context.Background(), codec(t))
	if _, err := gid.UnmarshalCursor(other, s); apperr.CodeOf(err) != apperr.CodeBadUserInput {
		t.Errorf("UnmarshalCursor with another codec = %v", err)
	}

	// Without a codec.
	bare := context.Background()
	buf.Reset()
	if err := gid.MarshalCursor(cur).MarshalGQLContext(bare, &buf); err == nil || buf.Len() != 0 {
		t.Fatalf("MarshalCursor without codec: wrote %q, %v", buf.String(), err)
	}
	if _, err := gid.UnmarshalCursor(bare, s); err == nil || apperr.CodeOf(err) != apperr.CodeInternal {
		t.Fatalf("UnmarshalCursor without codec: %v", err)
	}
}

func TestScalarsCursorValueKinds(t *testing.T) {
	ctx := gid.WithCodec(context.Background(), codec(t))
	for _, cur := range []entgql.Cursor[int]{
		{ID: 1<<32 + 1},
		{ID: 3<<32 + 99, Value: int64(1999)},
		{ID: 7, Value: "同学 奶茶"},
	} {
		var buf bytes.Buffer
		if err := gid.MarshalCursor(cur).MarshalGQLContext(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		s, _ := strconv.Unquote(buf.String())
		got, err := gid.UnmarshalCursor(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != cur.ID || strconv.Quote(toString(got.Value)) != strconv.Quote(toString(cur.Value)) {
			t.Fatalf("round trip %+v → %+v", cur, got)
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int:
		return strconv.Itoa(x)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	default:
		return "?"
	}
}

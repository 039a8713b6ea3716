package vault_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/vault"
)

func ring(t *testing.T, spec string) *vault.Keyring {
	t.Helper()
	r, err := vault.ParseKeyring(spec)
	if err != nil {
		t.Fatalf("ParseKeyring(%q): %v", spec, err)
	}
	return r
}

func index(t *testing.T, b64 string) *vault.Index {
	t.Helper()
	x, err := vault.ParseIndexKey(b64)
	if err != nil {
		t.Fatalf("ParseIndexKey: %v", err)
	}
	return x
}

const col = "users.phone"

func TestSealOpenRoundTrip(t *testing.T) {
	r := ring(t, "k1:"+vault.NewKey())
	for _, plain := range [][]byte{[]byte("13812345678"), {}, bytes.Repeat([]byte{0, 0xff}, 1000), []byte("同学")} {
		sealed := r.Seal(plain, col)
		if len(plain) >= 4 && bytes.Contains(sealed, plain) {
			t.Fatalf("sealed value holds the plain text %q", plain)
		}
		got, err := r.Open(sealed, col)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	}
}

func TestFirstKeySealsEveryKeyOpens(t *testing.T) {
	k1, k2 := "k1:"+vault.NewKey(), "k2:"+vault.NewKey()
	old := ring(t, k1)
	rotated := ring(t, k2+","+k1)
	if old.PrimaryID() != "k1" || rotated.PrimaryID() != "k2" {
		t.Fatalf("PrimaryID = %q, %q", old.PrimaryID(), rotated.PrimaryID())
	}

	sealedOld := old.Seal([]byte("13812345678"), col)
	if id, err := vault.KeyID(sealedOld); err != nil || id != "k1" {
		t.Fatalf("KeyID(old) = %q, %v; want k1", id, err)
	}
	got, err := rotated.Open(sealedOld, col)
	if err != nil || string(got) != "13812345678" {
		t.Fatalf("rotated ring opens old value: %q, %v", got, err)
	}

	sealedNew := rotated.Seal([]byte("13900001111"), col)
	if id, err := vault.KeyID(sealedNew); err != nil || id != "k2" {
		t.Fatalf("KeyID(new) = %q, %v; want k2", id, err)
	}
	if _, err := old.Open(sealedNew, col); !errors.Is(err, vault.ErrUndecryptable) {
		t.Fatalf("a ring without k2 opened a k2 value: %v", err)
	}
	// The order of the spec decides which key seals, not the id.
	back := ring(t, k1+","+k2)
	if id, _ := vault.KeyID(back.Seal([]byte("x"), col)); id != "k1" {
		t.Fatalf("ring %q sealed with %q, want k1", "k1,k2", id)
	}
}

func TestOpenWrongAADFails(t *testing.T) {
	r := ring(t, "k1:"+vault.NewKey())
	sealed := r.Seal([]byte("13812345678"), "users.phone")
	for _, aad := range []string{"users.email", "", "users.phone ", "Users.phone"} {
		if p, err := r.Open(sealed, aad); !errors.Is(err, vault.ErrUndecryptable) || p != nil {
			t.Errorf("Open with aad %q = %q, %v; want ErrUndecryptable", aad, p, err)
		}
	}
}

func TestOpenTamperedFails(t *testing.T) {
	r := ring(t, "k1:"+vault.NewKey())
	sealed := r.Seal([]byte("13812345678"), col)
	// Every byte after the key id (nonce, ciphertext, tag), every bit.
	for i := 1 + len("k1"); i < len(sealed); i++ {
		for bit := range 8 {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1 << bit
			if p, err := r.Open(bad, col); err == nil {
				t.Fatalf("byte %d bit %d flipped: opened to %q", i, bit, p)
			}
		}
	}
	// Truncations and extensions.
	for n := range len(sealed) {
		if _, err := r.Open(sealed[:n], col); err == nil {
			t.Fatalf("truncated to %d bytes: opened", n)
		}
	}
	if _, err := r.Open(append(bytes.Clone(sealed), 0), col); err == nil {
		t.Fatal("extended by one byte: opened")
	}
	if _, err := r.Open(nil, col); !errors.Is(err, vault.ErrUndecryptable) {
		t.Fatalf("Open(nil) = %v", err)
	}
}

func TestOpenUnknownKeyIDFails(t *testing.T) {
	key := vault.NewKey()
	a := ring(t, "a1:"+key)
	b := ring(t, "b1:"+key) // the same key bytes under another id
	sealed := a.Seal([]byte("13812345678"), col)
	if _, err := b.Open(sealed, col); !errors.Is(err, vault.ErrUndecryptable) {
		t.Fatalf("unknown key id: %v", err)
	}
	c := ring(t, "a1:"+vault.NewKey()) // same id, other key
	if _, err := c.Open(sealed, col); !errors.Is(err, vault.ErrUndecryptable) {
		t.Fatalf("same id, different key: %v", err)
	}
	if _, err := vault.KeyID([]byte{5, 'a'}); err == nil {
		t.Fatal("KeyID of a value shorter than its id length succeeded")
	}
	if _, err := vault.KeyID(nil); err == nil {
		t.Fatal("KeyID(nil) succeeded")
	}
}

func TestSealIsRandomised(t *testing.T) {
	r := ring(t, "k1:"+vault.NewKey())
	a := r.Seal([]byte("13812345678"), col)
	b := r.Seal([]byte("13812345678"), col)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal")
	}
	// The nonce (12 bytes after the id) differs.
	if bytes.Equal(a[3:15], b[3:15]) {
		t.Fatal("two seals share a nonce")
	}
}

func TestParseKeyringErrors(t *testing.T) {
	k := vault.NewKey()
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := base64.StdEncoding.EncodeToString(make([]byte, 33))
	cases := map[string]string{
		"empty":              "",
		"only commas":        " , ,",
		"no id":              k,
		"empty id":           ":" + k,
		"long id":            strings.Repeat("k", 17) + ":" + k,
		"bad base64":         "k1:not*base64!",
		"url base64":         "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(strings.Repeat("+/", 22)) + "==",
		"16 bytes":           "k1:" + short,
		"33 bytes":           "k1:" + long,
		"duplicate id":       "k1:" + k + ",k1:" + vault.NewKey(),
		"duplicate same key": "k1:" + k + ", k1:" + k,
		"one bad of two":     "k2:" + vault.NewKey() + ",k1:" + short,
	}
	for name, spec := range cases {
		if r, err := vault.ParseKeyring(spec); err == nil {
			t.Errorf("%s: ParseKeyring(%q) = %v, want an error", name, spec, r)
		}
	}
	if _, err := vault.ParseKeyring("k1:" + k + ",k1:" + vault.NewKey()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate id error = %v", err)
	}
	// Spaces around entries and empty entries are tolerated.
	r := ring(t, " k2:"+vault.NewKey()+" , ,k1:"+k+" ")
	if r.PrimaryID() != "k2" {
		t.Fatalf("PrimaryID = %q", r.PrimaryID())
	}
	// The longest allowed id.
	id16 := strings.Repeat("i", 16)
	if got := ring(t, id16+":"+k).PrimaryID(); got != id16 {
		t.Fatalf("PrimaryID = %q", got)
	}
}

func TestIndexHash(t *testing.T) {
	key := vault.NewKey()
	x := index(t, key)
	same := index(t, " "+key+"\n")
	other := index(t, vault.NewKey())

	h := x.Hash("phone", "13812345678")
	if len(h) != 32 {
		t.Fatalf("hash is %d bytes, want 32", len(h))
	}
	if !bytes.Equal(h, x.Hash("phone", "13812345678")) || !bytes.Equal(h, same.Hash("phone", "13812345678")) {
		t.Fatal("Hash is not deterministic for the same key")
	}
	if bytes.Equal(h, other.Hash("phone", "13812345678")) {
		t.Fatal("Hash does not depend on the key")
	}
	if bytes.Equal(h, x.Hash("ip", "13812345678")) {
		t.Fatal("Hash does not depend on the domain")
	}
	if bytes.Equal(h, x.Hash("phone", "13812345679")) {
		t.Fatal("Hash does not depend on the value")
	}
	// The separator keeps domain and value apart.
	if bytes.Equal(x.Hash("ph", "one1"), x.Hash("pho", "ne1")) {
		t.Fatal("domain/value boundary is ambiguous")
	}
	if bytes.Equal(x.Secret("relay"), x.Secret("cursor")) || !bytes.Equal(x.Secret("relay"), x.Secret("relay")) {
		t.Fatal("Secret is not a deterministic per-label derivation")
	}
	if bytes.Equal(x.Secret("relay"), other.Secret("relay")) {
		t.Fatal("Secret does not depend on the key")
	}
}

func TestParseIndexKey(t *testing.T) {
	for n, ok := range map[int]bool{0: false, 16: false, 31: false, 32: true, 33: true, 64: true} {
		b64 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n))
		_, err := vault.ParseIndexKey(b64)
		if (err == nil) != ok {
			t.Errorf("ParseIndexKey(%d bytes): err = %v, want ok=%v", n, err, ok)
		}
	}
	if _, err := vault.ParseIndexKey("!!!not base64!!!"); err == nil {
		t.Error("ParseIndexKey accepted bad base64")
	}
}

func TestNewKey(t *testing.T) {
	a, b := vault.NewKey(), vault.NewKey()
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("NewKey = %q (%d bytes, %v)", a, len(raw), err)
	}
	if a == b {
		t.Fatal("NewKey repeated itself")
	}
}

func TestLoadProductionNeedsKeys(t *testing.T) {
	dir := t.TempDir()
	k, x := "k1:"+vault.NewKey(), vault.NewKey()
	for _, c := range [][2]string{{"", ""}, {k, ""}, {"", x}} {
		if _, _, err := vault.Load(c[0], c[1], dir, true); err == nil {
			t.Errorf("Load(%q, %q, production) succeeded", c[0], c[1])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dev-keys")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("production wrote a dev-keys file: %v", err)
	}
	keys, generated, err := vault.Load(k, x, dir, true)
	if err != nil || generated || keys.Ring == nil || keys.Index == nil {
		t.Fatalf("Load with keys = %+v, %v, %v", keys, generated, err)
	}
	if keys.Ring.PrimaryID() != "k1" {
		t.Fatalf("PrimaryID = %q", keys.Ring.PrimaryID())
	}
	// Bad configured keys are reported with the variable's name.
	if _, _, err := vault.Load("k1:short", x, dir, true); err == nil || !strings.Contains(err.Error(), "TONGXUE_DATA_KEYS") {
		t.Fatalf("bad data key: %v", err)
	}
	if _, _, err := vault.Load(k, "c2hvcnQ=", dir, true); err == nil || !strings.Contains(err.Error(), "TONGXUE_INDEX_KEY") {
		t.Fatalf("bad index key: %v", err)
	}
}

func TestLoadDevelopmentCreatesAndReusesKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	keys1, generated, err := vault.Load("", "", dir, false)
	if err != nil || !generated {
		t.Fatalf("first Load: generated=%v err=%v", generated, err)
	}
	path := filepath.Join(dir, "dev-keys")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("dev-keys: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("dev-keys mode = %o, want 600", mode)
	}
	body, _ := os.ReadFile(path)
	if !strings.Contains(string(body), "TONGXUE_DATA_KEYS=") || !strings.Contains(string(body), "TONGXUE_INDEX_KEY=") {
		t.Fatalf("dev-keys content:\n%s", body)
	}

	keys2, generated2, err := vault.Load("", "", dir, false)
	if err != nil || !generated2 {
		t.Fatalf("second Load: generated=%v err=%v", generated2, err)
	}
	if keys1.Ring.PrimaryID() != keys2.Ring.PrimaryID() {
		t.Fatalf("key ids differ: %q vs %q", keys1.Ring.PrimaryID(), keys2.Ring.PrimaryID())
	}
	sealed := keys1.Ring.Seal([]byte("13812345678"), col)
	if got, err := keys2.Ring.Open(sealed, col); err != nil || string(got) != "13812345678" {
		t.Fatalf("second Load cannot open the first's value: %q, %v", got, err)
	}
	if !bytes.Equal(keys1.Index.Hash("phone", "1"), keys2.Index.Hash("phone", "1")) {
		t.Fatal("second Load has another index key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(body, after) {
		t.Fatal("second Load rewrote dev-keys")
	}

	// Another data folder gets other keys.
	keys3, _, err := vault.Load("", "", t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys3.Ring.Open(sealed, col); err == nil {
		t.Fatal("keys of another data folder open the value")
	}
}

// A configured key wins over the file; the missing one comes from the file.
func TestLoadDevelopmentConfiguredKeyWins(t *testing.T) {
	dir := t.TempDir()
	first, _, err := vault.Load("", "", dir, false)
	if err != nil {
		t.Fatal(err)
	}
	x := vault.NewKey()
	keys, generated, err := vault.Load("", x, dir, false)
	if err != nil || !generated {
		t.Fatalf("Load: %v %v", generated, err)
	}
	if !bytes.Equal(keys.Index.Hash("phone", "1"), index(t, x).Hash("phone", "1")) {
		t.Fatal("the configured index key was not used")
	}
	sealed := first.Ring.Seal([]byte("v"), col)
	if got, err := keys.Ring.Open(sealed, col); err != nil || string(got) != "v" {
		t.Fatalf("data keys not taken from dev-keys: %q %v", got, err)
	}
}

package media

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func cleaned(t *testing.T, in []byte) *Image {
	t.Helper()
	img, err := Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func newStore(t *testing.T) (*DirStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "media")
	s, err := NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestDirStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	jp := cleaned(t, phoneJPEG(t, 32, 32, 1))
	pn := cleaned(t, phonePNG(t, testPhoto(8, 8), 1))

	for _, img := range []*Image{jp, pn} {
		key, err := s.Put(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		if key == img.SHA256 || !ValidKey(key) {
			t.Fatalf("key %q: the content's hash, or malformed", key)
		}
		// Same content, another upload: an unrelated key, its own file.
		again, err := s.Put(ctx, &Image{Data: bytes.Clone(img.Data), ContentType: img.ContentType, SHA256: img.SHA256})
		if err != nil || again == key || !ValidKey(again) {
			t.Fatalf("second Put: %q, %v", again, err)
		}
		if err := s.Delete(ctx, again); err != nil {
			t.Fatal(err)
		}
		data, ct, err := s.Get(ctx, key)
		if err != nil || ct != img.ContentType || !bytes.Equal(data, img.Data) {
			t.Fatalf("Get: %q, %v, equal=%v", ct, err, bytes.Equal(data, img.Data))
		}

		file := filepath.Join(dir, key[:2], key[2:])
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" {
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
			}
			di, _ := os.Stat(filepath.Dir(file))
			if di.Mode().Perm() != 0o700 {
				t.Errorf("shard dir mode %v, want 0700", di.Mode().Perm())
			}
			ri, _ := os.Stat(dir)
			if ri.Mode().Perm() != 0o700 {
				t.Errorf("store dir mode %v, want 0700", ri.Mode().Perm())
			}
		}

		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete: %v", err)
		}
	}

	// No temporary file is left behind.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".tmp") {
			t.Errorf("leftover %s", p)
		}
		return nil
	})
}

func TestDirStoreRefusesMalformedKeys(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	// A file outside the store that traversal would reach.
	outside := filepath.Join(filepath.Dir(dir), "x")
	os.WriteFile(outside, []byte("\xff\xd8\xffsecret"), 0o600)

	good := strings.Repeat("ab", 32)
	for _, key := range []string{
		"", "../x", "..", "/etc/passwd", "abc", good[:63], good + "a",
		strings.ToUpper(good), "../" + good[3:], good[:2] + "/" + good[3:],
		good[:2] + "\\" + good[3:], good[:63] + "\x00", good[:63] + "g",
		strings.Repeat(".", 64), "ab/../../../../../../../../../../../../../../../../../../../../x",
	} {
		if _, _, err := s.Get(ctx, key); !errors.Is(err, ErrInvalidKey) || !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q): %v", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q): %v", key, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Error("file outside the store was deleted")
	}
}

func TestDirStorePutChecks(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	img := cleaned(t, phoneJPEG(t, 16, 16, 1))

	bad := []*Image{
		nil,
		{},
		{Data: img.Data, ContentType: img.ContentType, SHA256: strings.Repeat("0", 64)}, // wrong hash
		{Data: img.Data, ContentType: img.ContentType},                                  // no hash
		{Data: img.Data, ContentType: PNG, SHA256: img.SHA256},                          // wrong type
	}
	html := []byte("<html><script>alert(1)</script>")
	h := &Image{Data: html, ContentType: "text/html"}
	h.SHA256 = cleaned(t, phoneJPEG(t, 8, 8, 1)).SHA256
	bad = append(bad, h)
	for i, b := range bad {
		if _, err := s.Put(ctx, b); err == nil {
			t.Errorf("bad image %d stored", i)
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cancelled, img); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with cancelled context: %v", err)
	}
	if _, _, err := s.Get(cancelled, img.SHA256); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with cancelled context: %v", err)
	}
}

func TestDirStoreConcurrentPut(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	img := cleaned(t, phoneJPEG(t, 16, 16, 1))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			key, err := s.Put(ctx, img)
			if err != nil || !ValidKey(key) {
				t.Errorf("Put: %q, %v", key, err)
				return
			}
			if _, _, err := s.Get(ctx, key); err != nil {
				t.Errorf("Get: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestNewDirStore(t *testing.T) {
	if _, err := NewDirStore(""); err == nil {
		t.Error("empty dir accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := NewDirStore(f); err == nil {
		t.Error("a file accepted as store directory")
	}
}

// A store left open to others by an older version or an operator is closed
// at start: the store directory and its shards become 0700.
func TestNewDirStoreClosesOpenDirectories(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "media")
	shard := filepath.Join(dir, "ab")
	if err := os.MkdirAll(shard, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, shard} {
		if err := os.Chmod(d, 0o755); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	if _, err := NewDirStore(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, shard} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %o, want 0700", d, fi.Mode().Perm())
		}
	}
}

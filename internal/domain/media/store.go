package media

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Store keeps cleaned pictures, each under a key of its own: 256 random
// bits drawn for each upload. A key says nothing about the picture, so the
// same picture uploaded by two users gets two unrelated keys, and having a
// picture does not tell its key (a key derived from the content would let
// anyone holding a photo compute its address and check whether, and
// where, it was posted).
//
// A key is not an access check either: a picture that is not public is
// served only with a signed, expiring URL (Serve, URLs) that the server
// gives to viewers allowed to see the post or errand that holds it.
// NewDirStore keeps files on a local disk; a deployment with several
// servers would put object storage behind this interface.
type Store interface {
	// Put stores img.Data under a new random key and returns the key. img
	// must come from Clean: its SHA256 must match its Data, which must be a
	// JPEG or PNG.
	Put(ctx context.Context, img *Image) (key string, err error)
	// Get returns the bytes and content type stored under key, or an error
	// matching ErrNotFound.
	Get(ctx context.Context, key string) (data []byte, contentType string, err error)
	// Delete removes key, or returns an error matching ErrNotFound.
	Delete(ctx context.Context, key string) error
}

var (
	// ErrNotFound: nothing is stored under the key (or the key is malformed).
	ErrNotFound = apperr.NotFound("picture")
	// ErrInvalidKey: the key is not 64 lowercase hex digits. Errors of Get
	// and Delete for such a key match both ErrInvalidKey and ErrNotFound.
	ErrInvalidKey = apperr.BadInput("malformed picture key")
)

// URLPath is where the server serves stored pictures: URLPath + key.
const URLPath = "/media/"

// Unsigned is u without the signature a signed URL carries (?exp=…&sig=…):
// an address kept for later (an avatar) is the plain one, since a signature
// expires and only Serve's public check may open it for good.
func Unsigned(u string) string {
	plain, _, _ := strings.Cut(u, "?")
	return plain
}

// IsURL reports whether u is the address of a stored picture (URLPath +
// a valid key): the only pictures the app shows from a user's choice, so
// none is fetched from a host that would learn who looked.
func IsURL(u string) bool {
	key, ok := strings.CutPrefix(u, URLPath)
	return ok && ValidKey(key)
}

// KeyLen is the length of a key: 32 random bytes in hex.
const KeyLen = 2 * keyBytes

const keyBytes = 32

// newKey draws a key.
func newKey() string {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// ValidKey reports whether key is exactly 64 lowercase hex digits, the only
// keys a Store accepts (so a key can never name another path).
func ValidKey(key string) bool {
	if len(key) != KeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func invalidKey() error { return fmt.Errorf("%w (%w)", ErrInvalidKey, ErrNotFound) }

// DirStore is a Store on a local directory: the picture with key
// "abcdef…" is the file dir/ab/cdef…, mode 0600, in a directory of mode
// 0700. Files are written to a temporary file in the same directory, synced
// and renamed into place, so a reader never sees a partial picture; a crash
// may leave a ".tmp-*" file behind, which is safe to remove later.
type DirStore struct {
	dir string
}

var _ Store = (*DirStore)(nil)

// NewDirStore returns a store in dir, creating it (mode 0700) if needed and
// closing it and its shard directories to group and others if they are not.
func NewDirStore(dir string) (*DirStore, error) {
	if dir == "" {
		return nil, errors.New("media: empty store directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: store directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("media: store directory: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("media: store directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, errors.New("media: store path is not a directory")
	}
	if err := closeDirs(abs); err != nil {
		return nil, fmt.Errorf("media: store directory: %w", err)
	}
	return &DirStore{dir: abs}, nil
}

// closeDirs takes group and other access away from the store directory and
// its shard directories when an older version or an operator left them
// open: a picture may show a person, and with its directory closed a file
// is out of reach whatever its own mode.
func closeDirs(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	dirs := []string{dir}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(dir, e.Name()))
		}
	}
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(d, perm&^0o077); err != nil {
				return err
			}
		}
	}
	return nil
}

// path returns the shard directory and file of a valid key.
func (s *DirStore) path(key string) (shard, file string) {
	shard = filepath.Join(s.dir, key[:2])
	return shard, filepath.Join(shard, key[2:])
}

// Put implements Store.
func (s *DirStore) Put(ctx context.Context, img *Image) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if img == nil || len(img.Data) == 0 {
		return "", errors.New("media: nothing to store")
	}
	sum := sha256.Sum256(img.Data)
	if img.SHA256 != hex.EncodeToString(sum[:]) {
		return "", errors.New("media: picture hash does not match its data")
	}
	if ct := Detect(img.Data); ct == "" || ct != img.ContentType {
		return "", errors.New("media: picture type does not match its data")
	}
	key := newKey()
	shard, file := s.path(key)
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return "", fmt.Errorf("media: store: %w", err)
	}
	if err := writeAtomic(shard, file, img.Data); err != nil {
		return "", fmt.Errorf("media: store: %w", err)
	}
	return key, nil
}

func writeAtomic(dir, file string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, file); err != nil {
		return err
	}
	// Make the rename durable; not every platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Get implements Store.
func (s *DirStore) Get(ctx context.Context, key string) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if !ValidKey(key) {
		return nil, "", invalidKey()
	}
	_, file := s.path(key)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("media: store: %w", err)
	}
	ct := Detect(data)
	if ct == "" {
		return nil, "", errors.New("media: store: stored file is not a picture")
	}
	return data, ct, nil
}

// Delete implements Store. The shard directory is left in place (there are
// at most 256), so a concurrent Put into it cannot fail.
func (s *DirStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidKey(key) {
		return invalidKey()
	}
	_, file := s.path(key)
	err := os.Remove(file)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("media: store: %w", err)
	}
	return nil
}

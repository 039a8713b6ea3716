package vault

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keys is what the server protects data with.
type Keys struct {
	Ring  *Keyring
	Index *Index
}

// Load parses the configured keys. Without keys, development creates (once)
// and reuses a local key file in dataDir and says so; production refuses.
func Load(dataKeys, indexKey, dataDir string, production bool) (Keys, bool, error) {
	generated := false
	if dataKeys == "" || indexKey == "" {
		if production {
			return Keys{}, false, errors.New("TONGXUE_DATA_KEYS and TONGXUE_INDEX_KEY are required in production")
		}
		var err error
		dataKeys, indexKey, err = devKeys(filepath.Join(dataDir, "dev-keys"), dataKeys, indexKey)
		if err != nil {
			return Keys{}, false, err
		}
		generated = true
	}
	ring, err := ParseKeyring(dataKeys)
	if err != nil {
		return Keys{}, false, fmt.Errorf("TONGXUE_DATA_KEYS: %w", err)
	}
	idx, err := ParseIndexKey(indexKey)
	if err != nil {
		return Keys{}, false, fmt.Errorf("TONGXUE_INDEX_KEY: %w", err)
	}
	return Keys{Ring: ring, Index: idx}, generated, nil
}

// devKeys reads the development key file, creating it on first use.
func devKeys(path, dataKeys, indexKey string) (string, string, error) {
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			switch {
			case k == "TONGXUE_DATA_KEYS" && dataKeys == "":
				dataKeys = v
			case k == "TONGXUE_INDEX_KEY" && indexKey == "":
				indexKey = v
			}
		}
		return dataKeys, indexKey, sc.Err()
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", err
	}
	// Only keys made here go in the file: a key the operator supplied stays
	// where they keep it.
	var body strings.Builder
	if dataKeys == "" {
		dataKeys = "dev1:" + NewKey()
		fmt.Fprintf(&body, "TONGXUE_DATA_KEYS=%s\n", dataKeys)
	}
	if indexKey == "" {
		indexKey = NewKey()
		fmt.Fprintf(&body, "TONGXUE_INDEX_KEY=%s\n", indexKey)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", "", err
	}
	return dataKeys, indexKey, os.WriteFile(path, []byte(body.String()), 0o600)
}

// NewKey returns 32 random bytes in base64, the form the key variables take.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

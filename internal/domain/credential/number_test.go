package credential_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/domain/credential"
)

const symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func newNumber(t *testing.T) string {
	t.Helper()
	n, err := credential.NewNumber()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewNumberFormat(t *testing.T) {
	for range 1000 {
		n := newNumber(t)
		if credential.NumberLen != 15 || len(n) != 15 || !strings.HasPrefix(n, "SC") {
			t.Fatalf("number %q: want SC and 13 symbols", n)
		}
		if strings.Trim(n[2:], symbols) != "" {
			t.Fatalf("number %q has symbols outside Crockford's alphabet", n)
		}
		if !credential.ValidNumber(n) {
			t.Fatalf("NewNumber returned invalid %q", n)
		}
	}
	// Numbers computed independently of the package.
	for _, n := range []string{"SC7K2M9QX4TB8RD", "SCTX2026STAR00R", "SC0000000000000"} {
		if !credential.ValidNumber(n) {
			t.Errorf("ValidNumber(%q) = false", n)
		}
	}
}

func TestNewNumberUnique(t *testing.T) {
	const draws = 10000
	seen := make(map[string]bool, draws)
	// Every random position takes every symbol over that many draws (a
	// position stuck at a value would fail with probability ~32·(31/32)^10000).
	var used [12][32]bool
	for range draws {
		n := newNumber(t)
		if seen[n] {
			t.Fatalf("NewNumber repeated %q", n)
		}
		seen[n] = true
		for i := range 12 {
			used[i][strings.IndexByte(symbols, n[2+i])] = true
		}
	}
	for i := range used {
		for v, ok := range used[i] {
			if !ok {
				t.Errorf("position %d never took symbol %c", i, symbols[v])
			}
		}
	}
}

// TestValidNumberCatchesSubstitutions changes every character of valid
// numbers to every other byte.
func TestValidNumberCatchesSubstitutions(t *testing.T) {
	for range 200 {
		n := newNumber(t)
		for i := 0; i < len(n); i++ {
			for c := 0; c < 256; c++ {
				if byte(c) == n[i] {
					continue
				}
				m := n[:i] + string([]byte{byte(c)}) + n[i+1:]
				if credential.ValidNumber(m) {
					t.Fatalf("%q: %q (position %d to %q) is valid", n, m, i, byte(c))
				}
			}
			// Multi-byte characters change the length.
			for _, r := range []string{"星", "Ｓ", "\u00a0"} {
				if credential.ValidNumber(n[:i] + r + n[i+1:]) {
					t.Fatalf("%q with %q at %d is valid", n, r, i)
				}
			}
		}
	}
}

// TestValidNumberCatchesTranspositions swaps every pair of adjacent,
// different characters, the prefix and the check symbol included.
func TestValidNumberCatchesTranspositions(t *testing.T) {
	for range 2000 {
		n := newNumber(t)
		for i := 0; i+1 < len(n); i++ {
			if n[i] == n[i+1] {
				continue
			}
			b := []byte(n)
			b[i], b[i+1] = b[i+1], b[i]
			if credential.ValidNumber(string(b)) {
				t.Fatalf("%q: transposing %d and %d gives valid %q", n, i, i+1, b)
			}
		}
	}
}

// TestOneCheckSymbol: exactly one symbol completes any 12 symbols.
func TestOneCheckSymbol(t *testing.T) {
	for x := 0; x < 32; x++ {
		for y := 0; y < 32; y++ {
			body := strings.Repeat(string(symbols[x]), 11) + string(symbols[y])
			count := 0
			for c := 0; c < 256; c++ {
				if credential.ValidNumber("SC" + body + string([]byte{byte(c)})) {
					count++
				}
			}
			if count != 1 {
				t.Errorf("%d check symbols complete %q", count, body)
			}
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	const n = "SC7K2M9QX4TB8RD"
	for _, in := range []string{
		n,
		"sc7k2m9qx4tb8rd",
		"SC-7K2M-9QX4-TB8R-D",
		"sc 7k2m 9qx4 tb8r d",
	} {
		if got, ok := credential.NormalizeNumber(in); !ok || got != n {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", in, got, ok, n)
		}
	}
	// Look-alikes: I and L read as 1, O as 0.
	const z = "SC0000000000000"
	if got, ok := credential.NormalizeNumber("SCOOOOOOooooooo"); !ok || got != z {
		t.Errorf("O for 0: %q, %v", got, ok)
	}
	one := "SC" + strings.Repeat("1", 12)
	for c := 0; c < 32; c++ {
		if credential.ValidNumber(one + string(symbols[c])) {
			one += string(symbols[c])
			break
		}
	}
	if got, ok := credential.NormalizeNumber("SCIiLl11111111" + one[14:]); !ok || got != one {
		t.Errorf("I and L for 1: %q, %v (want %q)", got, ok, one)
	}
	for _, in := range []string{"", "SC", "SC7K2M9QX4TB8RE", "XX7K2M9QX4TB8RD", "SC7K2M9QX4TB8R", "SC7K2M9QX4TB8RDD", "SC7K2M9QX4TB8R!", strings.Repeat("-", 1000)} {
		if got, ok := credential.NormalizeNumber(in); ok {
			t.Errorf("NormalizeNumber(%q) = %q, valid", in, got)
		}
	}
	// ValidNumber itself takes only the canonical form.
	for _, in := range []string{"sc7k2m9qx4tb8rd", "SC-7K2M-9QX4-TB8R-D", " SC7K2M9QX4TB8RD"} {
		if credential.ValidNumber(in) {
			t.Errorf("ValidNumber(%q) = true", in)
		}
	}
}

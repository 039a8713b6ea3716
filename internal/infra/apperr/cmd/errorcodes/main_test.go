package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const codes = `package apperr

type Code string

const (
	// a group
	CodeA Code = "A_CODE" // what A means | with a bar
	CodeB Code = "B_CODE" // what B means
)

const other = "NOT_A_CODE"
`

func TestTable(t *testing.T) {
	got, err := Table([]byte(codes))
	if err != nil {
		t.Fatal(err)
	}
	want := "| `extensions.code` | meaning |\n|---|---|\n| `A_CODE` | what A means \\| with a bar |\n| `B_CODE` | what B means |\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := Table([]byte(strings.Replace(codes, " // what B means", "", 1))); err == nil {
		t.Fatal("a code without a description made a table")
	}
}

// TestRun: the table is written between the markers, nothing else moves,
// and -check fails on a stale table and passes on a fresh one.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	cp, rp := filepath.Join(dir, "codes.go"), filepath.Join(dir, "README.md")
	readme := "# x\n\nbefore\n\n" + begin + "\n| old |\n" + end + "\n\nafter\n"
	for p, s := range map[string]string{cp: codes, rp: readme} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(cp, rp, true); err == nil {
		t.Fatal("-check passed a stale table")
	}
	if err := run(cp, rp, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(rp)
	table, _ := Table([]byte(codes))
	if want := "# x\n\nbefore\n\n" + begin + "\n" + table + end + "\n\nafter\n"; string(b) != want {
		t.Fatalf("README:\n%s\nwant\n%s", b, want)
	}
	if err := run(cp, rp, true); err != nil {
		t.Fatalf("-check on a fresh table: %v", err)
	}
	if err := os.WriteFile(rp, []byte("no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(cp, rp, false); err == nil {
		t.Fatal("a README without markers was accepted")
	}
}

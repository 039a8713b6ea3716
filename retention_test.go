package main

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// `tongxue retention --dry-run` prints what is due, rule by rule, and
// deletes nothing; `tongxue retention` then deletes it and prints the same.
func TestRetentionCommand(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), "", dir, store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Now().AddDate(-1, 0, 0), time.Now()} {
		db.Client.SensitiveAccess.Create().SetActorID(1).SetActorRole(sensitiveaccess.ActorRoleSTAFF).SetSubjectID(2).
			SetField("Account.phone").SetReason("客服核实").SetCreatedAt(at).ExecX(t.Context())
	}
	db.Close()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"retention"}, args...)...)
		cmd.Env = append(os.Environ(), "TONGXUE_DATA_DIR="+dir, "DATABASE_URL=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tongxue retention %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	left := func() int {
		db, err := store.Open(t.Context(), "", dir, store.Options{MaxOpenConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return db.Client.SensitiveAccess.Query().CountX(t.Context())
	}
	line := regexp.MustCompile(`(?m)^reveal audit\s+sensitive_accesses\s+deleted\s+1$`)

	out := run("--dry-run")
	if !line.MatchString(out) || !regexp.MustCompile(`dry run: nothing changed`).MatchString(out) {
		t.Fatalf("dry run printed:\n%s", out)
	}
	if n := left(); n != 2 {
		t.Fatalf("the dry run left %d of 2 reveal records", n)
	}
	if out := run(); !line.MatchString(out) {
		t.Fatalf("the run printed:\n%s", out)
	}
	if n := left(); n != 1 {
		t.Fatalf("the run left %d reveal records, want the recent one", n)
	}
}

package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	body        []instruction
}

func readDockerfile(t *testing.T) []stage {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments (and the syntax directive) end no instruction
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

// pinned reports whether an image reference names a tag or digest other
// than latest: an unpinned base changes under a rebuild nobody reviewed.
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	slash := strings.LastIndex(image, "/")
	_, tag, ok := strings.Cut(image[slash+1:], ":")
	return ok && tag != "" && tag != "latest"
}

func TestDockerfileBuildsInOneStageAndRunsAsNonRootInAnother(t *testing.T) {
	stages := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("want a builder and a runtime stage, got %d stage(s)", len(stages))
	}
	for _, s := range stages {
		if !pinned(s.image) {
			t.Errorf("FROM %s: pin a tag or digest (not latest)", s.image)
		}
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("runtime stage FROM %s: want distroless static or scratch (no shell, no libc)", final.image)
	}
	user := ""
	var exposed []string
	for _, in := range final.body {
		switch in.cmd {
		case "USER":
			user = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "RUN":
			t.Errorf("runtime stage RUN %s: it has no shell; prepare files in the builder", in.args)
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("runtime stage USER %q: want a non-root user", user)
	}
	if !slices.Contains(exposed, "8080") {
		t.Errorf("runtime stage exposes %v, want 8080 (PORT's default)", exposed)
	}
}

// The image and `make build` must produce the same binary: one command,
// static (CGO_ENABLED=0, so distroless static runs it) and -trimpath.
func TestDockerfileBuildsWithTheMakefileBuildCommand(t *testing.T) {
	stages := readDockerfile(t)
	want := makeBuildCommand(t)
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath"} {
		if !strings.Contains(want, flag) {
			t.Errorf("make build runs %q: want %s", want, flag)
		}
	}
	mount := regexp.MustCompile(`--mount=\S+\s*`)
	var built []string
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.body {
			if run := strings.TrimSpace(mount.ReplaceAllString(in.args, "")); in.cmd == "RUN" && strings.Contains(run, "go build") {
				built = append(built, run)
			}
		}
	}
	if len(built) != 1 || built[0] != want {
		t.Fatalf("Dockerfile builds with %q, make build with %q: they must be the same command", built, want)
	}
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(want)
	if out == nil {
		t.Fatalf("make build names no output (-o): %q", want)
	}
	final := stages[len(stages)-1]
	copied := false
	for _, in := range final.body {
		copied = copied || in.cmd == "COPY" && strings.HasPrefix(in.args, "--from=") && strings.Contains(in.args, "/"+out[1]+" ")
	}
	if !copied {
		t.Errorf("the runtime stage does not COPY --from the builder's %s", out[1])
	}
}

// makeBuildCommand is the build target's recipe with $(GO) as go.
func makeBuildCommand(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^build:[^\n]*\n((?:\t[^\n]*\n)+)`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("Makefile has no build target")
	}
	recipe := strings.TrimSpace(strings.ReplaceAll(m[1], "\t", ""))
	if strings.Contains(recipe, "\n") {
		t.Fatalf("make build has several lines; the Dockerfile cannot mirror %q", recipe)
	}
	return strings.ReplaceAll(recipe, "$(GO)", "go")
}

func TestDockerignoreKeepsKeysDataAndHistoryOutOfTheBuild(t *testing.T) {
	raw, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		lines = append(lines, strings.TrimPrefix(strings.TrimSpace(l), "/"))
	}
	// ./data holds the development keys and the SQLite file.
	for _, want := range []string{".git", "data", "bin"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

package playground_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// browser is headless Chromium driven by browsertest/run.mjs (puppeteer-core).
type browser struct{ chromium, node string }

var (
	setupOnce sync.Once
	setupB    browser
	setupErr  string
)

// needBrowser finds (or, as root, installs) Chromium and node, and installs
// browsertest's npm packages from its lock file when they are missing (the
// one step that needs the npm registry). Without them the test skips, but
// under CI=true it fails: CI must run it.
func needBrowser(t *testing.T) browser {
	t.Helper()
	setupOnce.Do(func() { setupB, setupErr = setUp() })
	if setupErr != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser test cannot run: %s", setupErr)
		}
		t.Skipf("browser test skipped: %s (under CI=true this fails)", setupErr)
	}
	return setupB
}

func setUp() (browser, string) {
	var b browser
	var err error
	if b.chromium, err = exec.LookPath("chromium"); err != nil {
		if msg := aptInstall("chromium"); msg != "" {
			return b, msg
		}
		if b.chromium, err = exec.LookPath("chromium"); err != nil {
			return b, "chromium is not installed"
		}
	}
	if b.node, err = exec.LookPath("node"); err != nil {
		if msg := aptInstall("nodejs", "npm"); msg != "" {
			return b, msg
		}
		if b.node, err = exec.LookPath("node"); err != nil {
			return b, "node is not installed"
		}
	}
	if _, err := os.Stat("browsertest/node_modules/puppeteer-core"); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = "browsertest"
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, "npm ci in browsertest: " + err.Error() + ": " + string(out)
		}
	}
	return b, ""
}

// aptInstall installs Debian packages when running as root.
func aptInstall(pkgs ...string) string {
	if os.Geteuid() != 0 {
		return strings.Join(pkgs, ", ") + " missing and not root, so not installed (apt-get install -y " + strings.Join(pkgs, " ") + ")"
	}
	install := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if err := exec.Command("apt-get", install...).Run(); err == nil {
		return ""
	}
	if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
		return "apt-get update: " + string(out)
	}
	if out, err := exec.Command("apt-get", install...).CombinedOutput(); err != nil {
		return "apt-get install " + strings.Join(pkgs, " ") + ": " + string(out)
	}
	return ""
}

// report is what run.mjs prints.
type report struct {
	Foreign    []string `json:"foreign"`    // requests to anywhere but the server
	Failed     []string `json:"failed"`     // requests that failed
	Errors     []string `json:"errors"`     // page errors, console errors, driver errors
	Violations []string `json:"violations"` // Content-Security-Policy violations
	Explorer   bool     `json:"explorer"`   // the explorer plugin listed the schema
	Found      bool     `json:"found"`
	Response   string   `json:"response"`
}

// start opens pageURL, fills in headers and query, runs it and waits for
// want in the response pane; wait returns the report.
func (b browser) start(t *testing.T, pageURL, query, headers, want string) (wait func() report) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(b.node, "run.mjs", b.chromium, pageURL, query, headers, want)
	cmd.Dir = "browsertest"
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() report {
		t.Helper()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("run.mjs: %v\n%s", err, errOut.String())
		}
		var r report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("run.mjs printed %q: %v\n%s", out.String(), err, errOut.String())
		}
		return r
	}
}

// check fails the test unless the page found want using this server only.
func (r report) check(t *testing.T, want string) {
	t.Helper()
	if len(r.Foreign) > 0 || len(r.Failed) > 0 || len(r.Errors) > 0 || len(r.Violations) > 0 || !r.Found || !r.Explorer {
		t.Fatalf("waiting for %q (explorer listed the schema: %v): foreign requests %q, failed %q, errors %q, CSP violations %q; response pane:\n%s",
			want, r.Explorer, r.Foreign, r.Failed, r.Errors, r.Violations, r.Response)
	}
}

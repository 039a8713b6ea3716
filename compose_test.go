package main

import (
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/tongxue/tongxue/internal/infra/config"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Volumes []string `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c, string(raw)
}

func TestComposeRunsTongxueOnItsOwnPostgres15(t *testing.T) {
	c, _ := readCompose(t)
	app, ok := c.Services["tongxue"]
	if !ok || app.Build == nil {
		t.Fatal("compose.yaml: no tongxue service built from the Dockerfile")
	}
	u, err := url.Parse(app.Environment["DATABASE_URL"])
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("tongxue's DATABASE_URL %q is not a postgres:// URL", app.Environment["DATABASE_URL"])
	}
	db, ok := c.Services[u.Hostname()]
	if !ok || !strings.HasPrefix(db.Image, "postgres:15") {
		t.Fatalf("DATABASE_URL's host %q is not the compose PostgreSQL 15 service", u.Hostname())
	}
	if _, pw := u.User.Password(); pw {
		t.Error("DATABASE_URL carries a password: no secrets in compose.yaml")
	}
	if got := app.Environment["TONGXUE_ENV"]; got != config.Development {
		t.Errorf("TONGXUE_ENV is %q, want %q by default", got, config.Development)
	}
	if len(db.Healthcheck.Test) < 2 || db.Healthcheck.Test[1] != "pg_isready" {
		t.Errorf("the database healthcheck is %v, want pg_isready", db.Healthcheck.Test)
	}
	if app.DependsOn[u.Hostname()].Condition != "service_healthy" {
		t.Error("tongxue must wait for the database to be healthy")
	}
	for name, s := range map[string][]string{u.Hostname(): db.Volumes, "tongxue": app.Volumes} {
		for _, v := range s {
			if vol, _, _ := strings.Cut(v, ":"); c.Volumes == nil || !hasKey(c.Volumes, vol) {
				t.Errorf("%s mounts %q: want a named volume declared under volumes", name, v)
			}
		}
		if len(s) == 0 {
			t.Errorf("%s keeps its data in no volume", name)
		}
	}
	for name, s := range c.Services {
		if img := s.Image; img != "" && !pinned(img) {
			t.Errorf("service %s: image %s is not pinned (no tag, or latest)", name, img)
		}
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// secretName matches variables that hold credentials.
var secretName = regexp.MustCompile(`(?i)SECRET|PASSWORD|PASSWD|TOKEN|KEYS?$|_KEY_|SECRET_ID`)

// reference is a value taken from the environment at `docker compose up`.
var reference = regexp.MustCompile(`^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$`)

// Secrets come from the environment or a secret store, never from the file:
// active settings and the commented production block alike.
func TestComposeHoldsNoSecretValues(t *testing.T) {
	c, raw := readCompose(t)
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if secretName.MatchString(k) && !reference.MatchString(v) {
				t.Errorf("service %s sets %s to a value: take it from the environment (${%s})", name, k, k)
			}
		}
	}
	prod := productionBlock(t, raw)
	for k, v := range prod {
		if secretName.MatchString(k) && !reference.MatchString(v) {
			t.Errorf("the production block sets %s to a value: take it from the environment (${%s})", k, k)
		}
	}
}

// The commented production block names every variable production
// requires: with each reference filled in, the configuration is accepted.
func TestComposeProductionBlockListsWhatProductionRequires(t *testing.T) {
	_, raw := readCompose(t)
	prod := productionBlock(t, raw)
	if prod["TONGXUE_ENV"] != config.Production {
		t.Fatalf("the production block sets TONGXUE_ENV=%q", prod["TONGXUE_ENV"])
	}
	examples := map[string]string{ // values whose form config or the SMS gateway checks
		"TONGXUE_ALLOWED_ORIGINS":        "https://app.example.cn",
		"TONGXUE_SMS_TENCENT_SDK_APP_ID": "1400006666",
		"TONGXUE_SMS_TENCENT_TEMPLATES":  "login_code=1110001,reveal_code=1110002,phone_change_old_code=1110003,phone_change_new_code=1110004",
		"TONGXUE_PUBLIC_URL":             "https://api.example.cn",
	}
	env := map[string]string{}
	for k, v := range prod {
		if reference.MatchString(v) {
			v = examples[k]
			if v == "" {
				v = "example-" + strings.ToLower(k)
			}
		}
		env[k] = v
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.FromEnv(lookup)
	if err != nil {
		t.Fatalf("production with only the block's variables: %v", err)
	}
	// The gateway checks the rest (every template the server sends).
	if _, err := smsSender(cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("production with only the block's variables: %v", err)
	}
	// And it is not merely lenient: without the keys production refuses.
	delete(env, "TONGXUE_DATA_KEYS")
	if _, err := config.FromEnv(lookup); err == nil {
		t.Fatal("production started without TONGXUE_DATA_KEYS")
	}
}

// productionBlock parses the commented `# environment:` block of compose.yaml.
func productionBlock(t *testing.T, raw string) map[string]string {
	t.Helper()
	var block []string
	in := false
	for _, line := range strings.Split(raw, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "# environment:":
			in = true
		case in && strings.HasPrefix(trimmed, "#   "):
			block = append(block, strings.TrimPrefix(trimmed, "#   "))
		case in:
			in = false
		}
	}
	env := map[string]string{}
	if err := yaml.Unmarshal([]byte(strings.Join(block, "\n")), &env); err != nil || len(env) == 0 {
		t.Fatalf("compose.yaml: no commented production environment block (%v)", err)
	}
	return env
}

package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/config"
)

// env is a map-backed lookup for FromEnv.
type env map[string]string

func (e env) lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok
}

func load(t *testing.T, e env) config.Config {
	t.Helper()
	c, err := config.FromEnv(e.lookup)
	if err != nil {
		t.Fatalf("FromEnv(%v): %v", map[string]string(e), err)
	}
	return c
}

func loadErr(t *testing.T, e env, mention string) {
	t.Helper()
	_, err := config.FromEnv(e.lookup)
	if err == nil {
		t.Errorf("FromEnv(%v) succeeded, want an error", map[string]string(e))
		return
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Errorf("FromEnv(%v) error %q does not mention %s", map[string]string(e), err, mention)
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c := load(t, env{})
	if c.Port != 8080 {
		t.Errorf("Port = %d, want 8080", c.Port)
	}
	if c.Env != config.Development || c.IsProduction() {
		t.Errorf("Env = %q, IsProduction = %v, want development", c.Env, c.IsProduction())
	}
	if c.DataDir != "./data" {
		t.Errorf("DataDir = %q, want ./data", c.DataDir)
	}
	if c.SMSSender != "sandbox" {
		t.Errorf("SMSSender = %q, want sandbox in development", c.SMSSender)
	}
	if c.DatabaseURL != "" || c.DataKeys != "" || c.IndexKey != "" {
		t.Errorf("DatabaseURL/DataKeys/IndexKey = %q/%q/%q, want empty", c.DatabaseURL, c.DataKeys, c.IndexKey)
	}
	if c.LogLevel != "info" {
		t.Errorf("LogLevel = %q, want info", c.LogLevel)
	}
	if c.MaxOpenConns != 20 {
		t.Errorf("MaxOpenConns = %d, want 20", c.MaxOpenConns)
	}
	if c.ShutdownTimeout != 15*time.Second {
		t.Errorf("ShutdownTimeout = %v, want 15s", c.ShutdownTimeout)
	}
	if c.TrustProxy {
		t.Error("TrustProxy = true, want false")
	}
	if len(c.AllowedOrigins) != 0 {
		t.Errorf("AllowedOrigins = %q, want none", c.AllowedOrigins)
	}
}

// Blank values count as unset.
func TestFromEnvBlankMeansDefault(t *testing.T) {
	c := load(t, env{"PORT": "  ", "TONGXUE_ENV": "", "TONGXUE_DATA_DIR": "\t", "TONGXUE_SMS": " "})
	if c.Port != 8080 || c.Env != config.Development || c.DataDir != "./data" || c.SMSSender != "sandbox" {
		t.Fatalf("config = %+v", c)
	}
}

func TestFromEnvParsesEveryVariable(t *testing.T) {
	c := load(t, production(env{
		"PORT":                     " 9090 ",
		"DATABASE_URL":             "postgres://u@db:5432/app",
		"TONGXUE_ENV":              "production",
		"TONGXUE_DATA_DIR":         "/var/lib/tongxue",
		"TONGXUE_DATA_KEYS":        "k2:AAAA,k1:BBBB",
		"TONGXUE_INDEX_KEY":        "CCCC",
		"TONGXUE_ALLOWED_ORIGINS":  "https://a.example",
		"TONGXUE_TRUST_PROXY":      "true",
		"TONGXUE_LOG_LEVEL":        "debug",
		"TONGXUE_SMS":              "sandbox",
		"TONGXUE_DB_MAX_OPEN":      "7",
		"TONGXUE_SHUTDOWN_TIMEOUT": "1m30s",
		"TONGXUE_PUBLIC_URL":       "https://api.tongxue.example",
	}))
	if c.PublicURL != "https://api.tongxue.example" || c.Payment != "http" || c.PaymentURL != "https://pay.example.com" ||
		c.PaymentMchID != "m1" || c.PaymentSecret != "s" || c.Verifier != "http" || c.VerifierAppID != "a1" {
		t.Fatalf("third parties: %+v", c)
	}
	want := config.Config{
		Port:            9090,
		DatabaseURL:     "postgres://u@db:5432/app",
		Env:             config.Production,
		DataDir:         "/var/lib/tongxue",
		DataKeys:        "k2:AAAA,k1:BBBB",
		IndexKey:        "CCCC",
		AllowedOrigins:  []string{"https://a.example"},
		TrustProxy:      true,
		LogLevel:        "debug",
		SMSSender:       "sandbox",
		MaxOpenConns:    7,
		ShutdownTimeout: 90 * time.Second,
	}
	if c.Port != want.Port || c.DatabaseURL != want.DatabaseURL || c.Env != want.Env ||
		c.DataDir != want.DataDir || c.DataKeys != want.DataKeys || c.IndexKey != want.IndexKey ||
		!slices.Equal(c.AllowedOrigins, want.AllowedOrigins) || c.TrustProxy != want.TrustProxy ||
		c.LogLevel != want.LogLevel || c.SMSSender != want.SMSSender ||
		c.MaxOpenConns != want.MaxOpenConns || c.ShutdownTimeout != want.ShutdownTimeout {
		t.Fatalf("config =\n%+v\nwant\n%+v", c, want)
	}
	if !c.IsProduction() {
		t.Fatal("IsProduction = false")
	}
}

func TestFromEnvPortZeroPicksAFreePort(t *testing.T) {
	// README: `0` picks a free one.
	if c := load(t, env{"PORT": "0"}); c.Port != 0 {
		t.Fatalf("Port = %d, want 0", c.Port)
	}
}

func TestFromEnvTrustProxyForms(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "0": false, "false": false} {
		if c := load(t, env{"TONGXUE_TRUST_PROXY": v}); c.TrustProxy != want {
			t.Errorf("TONGXUE_TRUST_PROXY=%q: TrustProxy = %v, want %v", v, c.TrustProxy, want)
		}
	}
}

func TestFromEnvAllowedOriginsSplitting(t *testing.T) {
	cases := map[string][]string{
		"https://a.example":                    {"https://a.example"},
		"https://a.example,https://b.example":  {"https://a.example", "https://b.example"},
		" https://a.example , *.b.example ,, ": {"https://a.example", "*.b.example"},
		",":                                    nil,
		"https://a.example,\thttps://c.example:8443\t, ,": {"https://a.example", "https://c.example:8443"},
	}
	for in, want := range cases {
		c := load(t, env{"TONGXUE_ALLOWED_ORIGINS": in})
		if !slices.Equal(c.AllowedOrigins, want) {
			t.Errorf("TONGXUE_ALLOWED_ORIGINS=%q: AllowedOrigins = %q, want %q", in, c.AllowedOrigins, want)
		}
	}
}

func TestFromEnvBadPort(t *testing.T) {
	for _, p := range []string{"abc", "80x", "8080.0", "0x1f90", "１２３"} {
		loadErr(t, env{"PORT": p}, "PORT")
	}
}

// A port outside 0..65535 can never be listened on; the configuration must
// refuse it instead of letting the server fail later.
func TestFromEnvRejectsPortOutOfRange(t *testing.T) {
	for _, p := range []string{"-1", "65536", "70000", "-8080"} {
		loadErr(t, env{"PORT": p}, "PORT")
	}
}

func TestFromEnvBadEnv(t *testing.T) {
	for _, e := range []string{"staging", "prod", "Production", "dev", "test"} {
		loadErr(t, env{"TONGXUE_ENV": e}, "TONGXUE_ENV")
	}
}

func TestFromEnvProductionNeedsSMS(t *testing.T) {
	loadErr(t, env{"TONGXUE_ENV": "production"}, "TONGXUE_SMS")
	loadErr(t, env{"TONGXUE_ENV": "production", "TONGXUE_SMS": "   "}, "TONGXUE_SMS")
	// Naming the sandbox explicitly is allowed (README).
	if c := load(t, production(env{"TONGXUE_SMS": "sandbox"})); c.SMSSender != "sandbox" {
		t.Fatalf("SMSSender = %q", c.SMSSender)
	}
}

// production is a production environment with real payment and verification.
func production(e env) env {
	out := env{"TONGXUE_ENV": "production", "TONGXUE_DATA_KEYS": "k1:a2V5", "TONGXUE_INDEX_KEY": "aW5kZXg=",
		"TONGXUE_PAYMENT": "http", "TONGXUE_PAYMENT_URL": "https://pay.example.com",
		"TONGXUE_PAYMENT_MCHID": "m1", "TONGXUE_PAYMENT_SECRET": "s",
		"TONGXUE_STUDENT_VERIFY": "http", "TONGXUE_STUDENT_VERIFY_URL": "https://verify.example.com",
		"TONGXUE_STUDENT_VERIFY_APP_ID": "a1", "TONGXUE_STUDENT_VERIFY_SECRET": "s",
		"TONGXUE_BANK": "http", "TONGXUE_BANK_URL": "https://bank.example.com", "TONGXUE_BANK_APP_ID": "b1", "TONGXUE_BANK_SECRET": "s"}
	for k, v := range e {
		out[k] = v
	}
	return out
}

func TestFromEnvThirdParties(t *testing.T) {
	if c := load(t, env{}); c.Payment != "sandbox" || c.Verifier != "sandbox" || c.PublicURL != "http://localhost:8080" {
		t.Fatalf("development defaults: %+v", c)
	}
	loadErr(t, env{"TONGXUE_ENV": "production", "TONGXUE_SMS": "sandbox"}, "TONGXUE_PAYMENT")
	loadErr(t, production(env{"TONGXUE_SMS": "sandbox", "TONGXUE_PAYMENT": "sandbox"}), "TONGXUE_PAYMENT")
	loadErr(t, production(env{"TONGXUE_SMS": "sandbox", "TONGXUE_PAYMENT_SECRET": ""}), "TONGXUE_PAYMENT")
	loadErr(t, env{"TONGXUE_STUDENT_VERIFY": "chsi"}, "TONGXUE_STUDENT_VERIFY")
}

func TestFromEnvUnknownSMS(t *testing.T) {
	for _, e := range []string{"development", "production"} {
		for _, s := range []string{"aliyun", "Sandbox", "twilio"} {
			_, err := config.FromEnv(env{"TONGXUE_ENV": e, "TONGXUE_SMS": s}.lookup)
			if err == nil || !strings.Contains(err.Error(), "TONGXUE_SMS") || !strings.Contains(err.Error(), s) {
				t.Errorf("TONGXUE_ENV=%s TONGXUE_SMS=%s: err = %v, want an unknown sender error naming it", e, s, err)
			}
		}
	}
}

func TestFromEnvOtherBadValues(t *testing.T) {
	cases := []struct {
		e       env
		mention string
	}{
		{env{"TONGXUE_DB_MAX_OPEN": "many"}, "TONGXUE_DB_MAX_OPEN"},
		{env{"TONGXUE_DB_MAX_OPEN": "0"}, "TONGXUE_DB_MAX_OPEN"},
		{env{"TONGXUE_DB_MAX_OPEN": "-3"}, "TONGXUE_DB_MAX_OPEN"},
		{env{"TONGXUE_SHUTDOWN_TIMEOUT": "15"}, "TONGXUE_SHUTDOWN_TIMEOUT"},
		{env{"TONGXUE_SHUTDOWN_TIMEOUT": "soon"}, "TONGXUE_SHUTDOWN_TIMEOUT"},
		{env{"TONGXUE_TRUST_PROXY": "yes"}, "TONGXUE_TRUST_PROXY"},
		{env{"TONGXUE_PPROF": "0.0.0.0:6060"}, "TONGXUE_PPROF"},
		{env{"TONGXUE_PPROF": "6060"}, "TONGXUE_PPROF"},
		{env{"TONGXUE_RATE_LIMITS": "off"}, "TONGXUE_RATE_LIMITS"},
		{env{"TONGXUE_RATE_LIMITS": "load-test", "TONGXUE_ENV": "production"}, "TONGXUE_RATE_LIMITS"},
		{env{"TONGXUE_PPROF": "127.0.0.1:6060", "TONGXUE_ENV": "production"}, "TONGXUE_PPROF"},
	}
	for _, tc := range cases {
		loadErr(t, tc.e, tc.mention)
	}
	if c := load(t, env{}); c.RateLimits != "default" {
		t.Fatalf("RateLimits = %q", c.RateLimits)
	}
	if c := load(t, env{"TONGXUE_PPROF": "127.0.0.1:6060"}); c.PprofAddr != "127.0.0.1:6060" {
		t.Fatalf("PprofAddr = %q", c.PprofAddr)
	}
	if c := load(t, env{"TONGXUE_DB_MAX_OPEN": "1"}); c.MaxOpenConns != 1 {
		t.Fatalf("MaxOpenConns = %d, want 1", c.MaxOpenConns)
	}
}

// TONGXUE_LISTEN names the address; PORT alone keeps meaning every
// interface, and TONGXUE_LISTEN wins when both are set.
func TestFromEnvListen(t *testing.T) {
	cases := []struct {
		env    env
		listen string
		port   int
	}{
		{env{}, ":8080", 8080},
		{env{"PORT": "9000"}, ":9000", 9000},
		{env{"PORT": "0"}, ":0", 0},
		{env{"TONGXUE_LISTEN": "127.0.0.1:8081"}, "127.0.0.1:8081", 8081},
		{env{"TONGXUE_LISTEN": ":8082"}, ":8082", 8082},
		{env{"TONGXUE_LISTEN": "[::1]:8083"}, "[::1]:8083", 8083},
		{env{"TONGXUE_LISTEN": "localhost:0"}, "localhost:0", 0},
		{env{"TONGXUE_LISTEN": " 0.0.0.0:80 "}, "0.0.0.0:80", 80},
		{env{"TONGXUE_LISTEN": "127.0.0.1:7000", "PORT": "9000"}, "127.0.0.1:7000", 7000},
		{env{"TONGXUE_LISTEN": "", "PORT": "9001"}, ":9001", 9001},
	}
	for _, c := range cases {
		got := load(t, c.env)
		if got.Listen != c.listen || got.Port != c.port {
			t.Errorf("%v: Listen, Port = %q, %d, want %q, %d", map[string]string(c.env), got.Listen, got.Port, c.listen, c.port)
		}
	}
	// The public URL providers call back follows the port listened on.
	if c := load(t, env{"TONGXUE_LISTEN": "127.0.0.1:7000", "PORT": "9000"}); c.PublicURL != "http://localhost:7000" {
		t.Errorf("PublicURL = %q, want http://localhost:7000", c.PublicURL)
	}
}

func TestFromEnvBadListen(t *testing.T) {
	for _, l := range []string{"8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536",
		"127.0.0.1:-1", ":08080", ":+80", "example.com:8080", "::1:8080", "127.0.0.1:80:80", "[::1]8080"} {
		loadErr(t, env{"TONGXUE_LISTEN": l}, "TONGXUE_LISTEN must be host:port")
	}
	// A bad PORT is refused even when TONGXUE_LISTEN would win.
	loadErr(t, env{"TONGXUE_LISTEN": ":8080", "PORT": "x"}, "PORT")
}

// A pattern that lets every site in, or that no Origin can ever match, is
// a mistake the server should name at start.
func TestFromEnvBadAllowedOrigins(t *testing.T) {
	for _, o := range []string{"*", "*://*", "https://*", "https://app.example.com/", "https://", "[", "https://a.example,*"} {
		loadErr(t, env{"TONGXUE_ALLOWED_ORIGINS": o}, "TONGXUE_ALLOWED_ORIGINS")
	}
	// Narrow wildcards stay allowed.
	if c := load(t, env{"TONGXUE_ALLOWED_ORIGINS": "*.example.com,https://*.example.com"}); len(c.AllowedOrigins) != 2 {
		t.Errorf("AllowedOrigins = %q", c.AllowedOrigins)
	}
}

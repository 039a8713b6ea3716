// Package config reads the server's settings from the environment. Every
// variable is listed in README.md.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
)

// Environments.
const (
	Development = "development"
	Production  = "production"
)

// Config is everything the server needs to start.
type Config struct {
	// Listen is the address the server listens on: TONGXUE_LISTEN
	// ("127.0.0.1:8080", "[::1]:8080", ":8080"), else ":PORT" (every
	// interface). TONGXUE_LISTEN wins when both are set: it is the more
	// specific, and PORT is often injected by a platform.
	Listen      string
	Port        int    // the port of Listen: TONGXUE_LISTEN's, else PORT, default 8080
	DatabaseURL string // DATABASE_URL; empty means SQLite under DataDir
	Env         string // TONGXUE_ENV: development (default) or production
	DataDir     string // TONGXUE_DATA_DIR, default ./data

	// Key material (see internal/infra/vault). Production refuses to start without.
	DataKeys string // TONGXUE_DATA_KEYS, "k2:<base64>,k1:<base64>"
	IndexKey string // TONGXUE_INDEX_KEY, base64, 32 bytes or more

	AllowedOrigins []string // TONGXUE_ALLOWED_ORIGINS, comma separated
	TrustProxy     bool     // TONGXUE_TRUST_PROXY: take the client IP from X-Forwarded-For
	LogLevel       string   // TONGXUE_LOG_LEVEL: debug, info (default), warn, error
	SMSSender      string   // TONGXUE_SMS: tencent, or sandbox (default in development)
	SMSTencent     TencentSMS

	PublicURL string // TONGXUE_PUBLIC_URL: base URL providers call back, default http://localhost:PORT

	// Third parties: "sandbox" (development default) or "http".
	Payment        string // TONGXUE_PAYMENT
	PaymentURL     string // TONGXUE_PAYMENT_URL
	PaymentMchID   string // TONGXUE_PAYMENT_MCHID
	PaymentSecret  string // TONGXUE_PAYMENT_SECRET
	Verifier       string // TONGXUE_STUDENT_VERIFY
	VerifierURL    string // TONGXUE_STUDENT_VERIFY_URL
	VerifierAppID  string // TONGXUE_STUDENT_VERIFY_APP_ID
	VerifierSecret string // TONGXUE_STUDENT_VERIFY_SECRET
	Bank           string // TONGXUE_BANK
	BankURL        string // TONGXUE_BANK_URL
	BankAppID      string // TONGXUE_BANK_APP_ID
	BankSecret     string // TONGXUE_BANK_SECRET

	// PprofAddr serves /debug/pprof on a loopback address (TONGXUE_PPROF,
	// e.g. 127.0.0.1:6060) to profile a development server; refused in
	// production, where profiles would show request data.
	PprofAddr string

	// RateLimits is TONGXUE_RATE_LIMITS: "default", or "load-test" for a load
	// test from one address (development only): budgets no client reaches,
	// every check still made, so the limiter's cost stays in the figures.
	RateLimits string

	MaxOpenConns    int           // TONGXUE_DB_MAX_OPEN, default 20
	ShutdownTimeout time.Duration // TONGXUE_SHUTDOWN_TIMEOUT, default 15s
}

// IsProduction reports whether the server runs in production.
func (c Config) IsProduction() bool { return c.Env == Production }

// FromEnv reads the configuration; lookup is os.LookupEnv outside tests.
// It checks every variable before it answers: a bad configuration gets one
// error listing each problem with an example of a good value, so an
// operator fixes them all in one go rather than one per restart.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(k, def string) string {
		if v, ok := lookup(k); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var probs problems
	c := Config{
		DatabaseURL: get("DATABASE_URL", ""),
		Env:         get("TONGXUE_ENV", Development),
		DataDir:     get("TONGXUE_DATA_DIR", "./data"),
		DataKeys:    get("TONGXUE_DATA_KEYS", ""),
		IndexKey:    get("TONGXUE_INDEX_KEY", ""),
		LogLevel:    get("TONGXUE_LOG_LEVEL", "info"),
		SMSSender:   get("TONGXUE_SMS", ""),

		Payment:        get("TONGXUE_PAYMENT", ""),
		PaymentURL:     get("TONGXUE_PAYMENT_URL", ""),
		PaymentMchID:   get("TONGXUE_PAYMENT_MCHID", ""),
		PaymentSecret:  get("TONGXUE_PAYMENT_SECRET", ""),
		Verifier:       get("TONGXUE_STUDENT_VERIFY", ""),
		VerifierURL:    get("TONGXUE_STUDENT_VERIFY_URL", ""),
		VerifierAppID:  get("TONGXUE_STUDENT_VERIFY_APP_ID", ""),
		VerifierSecret: get("TONGXUE_STUDENT_VERIFY_SECRET", ""),
		Bank:           get("TONGXUE_BANK", ""),
		BankURL:        get("TONGXUE_BANK_URL", ""),
		BankAppID:      get("TONGXUE_BANK_APP_ID", ""),
		BankSecret:     get("TONGXUE_BANK_SECRET", ""),
		PprofAddr:      get("TONGXUE_PPROF", ""),
		RateLimits:     get("TONGXUE_RATE_LIMITS", "default"),
	}
	switch c.Env {
	case Development, Production:
	default:
		probs.add("TONGXUE_ENV", "production", "must be %q or %q", Development, Production)
	}
	readNetwork(&c, get, &probs)
	readLimits(&c, get, &probs)
	if c.IsProduction() {
		// vault checks the keys' form; their absence is listed here with the rest.
		if c.DataKeys == "" {
			probs.add("TONGXUE_DATA_KEYS", "k1:<base64 of 32 random bytes>", "is required in production")
		}
		if c.IndexKey == "" {
			probs.add("TONGXUE_INDEX_KEY", "<base64 of 32 random bytes>", "is required in production")
		}
	}
	readSMS(&c, get, &probs)
	readParties(&c, &probs)
	c.PublicURL = get("TONGXUE_PUBLIC_URL", fmt.Sprintf("http://localhost:%d", c.Port))
	return c, probs.err()
}

// readNetwork reads where the server listens and whom it trusts.
func readNetwork(c *Config, get func(k, def string) string, probs *problems) {
	var err error
	if c.Port, err = strconv.Atoi(get("PORT", "8080")); err != nil || c.Port < 0 || c.Port > 65535 {
		probs.add("PORT", "8080", "must be a number from 0 to 65535")
	}
	c.Listen = fmt.Sprintf(":%d", c.Port)
	if l := get("TONGXUE_LISTEN", ""); l != "" {
		if port, err := listenPort(l); err != nil {
			probs.add("TONGXUE_LISTEN", "127.0.0.1:8080", "%s", err.Error())
		} else {
			c.Port, c.Listen = port, l
		}
	}
	if c.TrustProxy, err = strconv.ParseBool(get("TONGXUE_TRUST_PROXY", "false")); err != nil {
		probs.add("TONGXUE_TRUST_PROXY", "true", "must be true or false")
	}
	for _, o := range strings.Split(get("TONGXUE_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if err := checkOrigin(o); err != nil {
				probs.add("TONGXUE_ALLOWED_ORIGINS", "https://app.example.cn", "%s", err.Error())
				continue
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !isLoopback(host) {
			probs.add("TONGXUE_PPROF", "127.0.0.1:6060", "must be a loopback host:port")
		} else if c.IsProduction() {
			probs.add("TONGXUE_PPROF", "(unset)", "is for development only")
		}
	}
}

// readLimits reads the pool, shutdown and rate-limit settings.
func readLimits(c *Config, get func(k, def string) string, probs *problems) {
	var err error
	if c.MaxOpenConns, err = strconv.Atoi(get("TONGXUE_DB_MAX_OPEN", "20")); err != nil || c.MaxOpenConns < 1 {
		probs.add("TONGXUE_DB_MAX_OPEN", "20", "must be a whole number of at least 1")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("TONGXUE_SHUTDOWN_TIMEOUT", "15s")); err != nil {
		probs.add("TONGXUE_SHUTDOWN_TIMEOUT", "15s", "must be a duration")
	}
	switch {
	case c.RateLimits == "load-test" && c.IsProduction():
		probs.add("TONGXUE_RATE_LIMITS", "default", "load-test is for development only")
	case c.RateLimits != "default" && c.RateLimits != "load-test":
		probs.add("TONGXUE_RATE_LIMITS", "default", "must be \"default\" or \"load-test\"")
	}
}

// readParties checks the payment provider, verification service and bank.
func readParties(c *Config, probs *problems) {
	for _, p := range []struct {
		name    string
		val     *string
		url, id string
		idVar   string
		secret  string
		example string
	}{
		{"TONGXUE_PAYMENT", &c.Payment, c.PaymentURL, c.PaymentMchID, "TONGXUE_PAYMENT_MCHID", c.PaymentSecret, "https://pay.example.cn"},
		{"TONGXUE_STUDENT_VERIFY", &c.Verifier, c.VerifierURL, c.VerifierAppID, "TONGXUE_STUDENT_VERIFY_APP_ID", c.VerifierSecret, "https://verify.example.cn"},
		{"TONGXUE_BANK", &c.Bank, c.BankURL, c.BankAppID, "TONGXUE_BANK_APP_ID", c.BankSecret, "https://openapi.bank.example.cn"},
	} {
		switch *p.val {
		case "", "sandbox":
			if c.IsProduction() {
				probs.add(p.name, "http", "must be \"http\" in production (sandboxes pay and verify anything)")
			}
			*p.val = "sandbox"
		case "http":
			if p.url == "" {
				probs.add(p.name+"_URL", p.example, "is required with %s=http", p.name)
			}
			if p.id == "" {
				probs.add(p.idVar, "TX0001", "is required with %s=http", p.name)
			}
			if p.secret == "" {
				probs.add(p.name+"_SECRET", "<the shared signing secret>", "is required with %s=http", p.name)
			}
		default:
			probs.add(p.name, "http", "must be \"sandbox\" or \"http\"")
		}
	}
}

// problems collects what is wrong with the environment.
type problems []string

func (p *problems) add(name, example, format string, args ...any) {
	*p = append(*p, fmt.Sprintf("%s %s (e.g. %s=%s)", name, fmt.Sprintf(format, args...), name, example))
}

func (p problems) err() error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("configuration: %s", p[0])
	}
	return fmt.Errorf("configuration: %d problems:\n  - %s", len(p), strings.Join(p, "\n  - "))
}

// listenPort checks a TONGXUE_LISTEN address and returns its port. The
// host must be empty (every interface), an IP address or localhost: a name
// that resolves elsewhere would listen somewhere nobody meant.
func listenPort(addr string) (int, error) {
	bad := func(why string) (int, error) {
		return 0, fmt.Errorf("TONGXUE_LISTEN must be host:port such as 127.0.0.1:8080, [::1]:8080 or :8080 (%s)", why)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad("no port")
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return bad("the host must be an IP address, localhost or empty")
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return bad("the port must be a number from 0 to 65535")
	}
	return n, nil
}

// checkOrigin refuses an allowed-origin pattern that could never match or
// that lets every web site in (see wsgorilla.AllowOrigins for the forms).
func checkOrigin(p string) error {
	hostPart := p
	if _, rest, ok := strings.Cut(p, "://"); ok {
		hostPart = rest
	}
	switch {
	case p == "*" || p == "*://*" || hostPart == "*":
		return fmt.Errorf("TONGXUE_ALLOWED_ORIGINS: %q would let every web site call the API; list the origins", p)
	case hostPart == "" || strings.Contains(hostPart, "/"):
		return fmt.Errorf("TONGXUE_ALLOWED_ORIGINS: %q is not an origin (scheme://host[:port] or host[:port], no path)", p)
	}
	if _, err := path.Match(strings.ToLower(p), ""); err != nil {
		return fmt.Errorf("TONGXUE_ALLOWED_ORIGINS: bad pattern %q: %w", p, err)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

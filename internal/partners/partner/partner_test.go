package partner_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

func TestBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://bank.example.com/":      "https://bank.example.com",
		"https://bank.example.com/api/":  "https://bank.example.com/api",
		"http://127.0.0.1:8443":          "http://127.0.0.1:8443",
		"http://localhost/x":             "http://localhost/x",
		"http://[::1]:9000":              "http://[::1]:9000",
		"http://bank.example.com":        "https (http only for loopback",
		"ftp://bank.example.com":         "absolute https",
		"bank.example.com":               "absolute https",
		"https://u:p@bank.example.com":   "no user information",
		"https://bank.example.com/?a=1":  "no user information, query",
		"https://bank.example.com/#frag": "no user information, query",
		"":                               "absolute https",
	} {
		got, err := partner.BaseURL(raw)
		if strings.Contains(want, "://") {
			if err != nil || got != want {
				t.Errorf("BaseURL(%q) = %q, %v; want %q", raw, got, err, want)
			}
		} else if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("BaseURL(%q) = %q, %v; want an error about %q", raw, got, err, want)
		}
	}
}

func TestClientNeverFollowsRedirects(t *testing.T) {
	mine := &http.Client{Timeout: 7}
	c := partner.NoRedirects(mine)
	if c == mine || mine.CheckRedirect != nil || c.Timeout != 7 {
		t.Fatalf("the caller's client was changed or not copied")
	}
	if err := c.CheckRedirect(nil, nil); err != http.ErrUseLastResponse {
		t.Fatalf("CheckRedirect = %v", err)
	}
	if partner.NoRedirects(nil).CheckRedirect == nil {
		t.Fatal("a new client follows redirects")
	}
}

func TestValidAppID(t *testing.T) {
	for id, ok := range map[string]bool{"app-1": true, "": false, "a b": false, "应用": false, "a\n": false} {
		if partner.ValidAppID(id) != ok {
			t.Errorf("ValidAppID(%q) != %v", id, ok)
		}
	}
}

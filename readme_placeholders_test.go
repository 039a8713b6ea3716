package main

import (
	"encoding/json"
	"testing"
)

// readmePlaceholders is how the test fills in each <…> of README.md: the
// answer path a reader copies from, or where else the value comes from.
// A placeholder missing here fails the test, so a new one gets a meaning.
var readmePlaceholders = map[string]func(r *readmeRun, t *testing.T, x readmeExample, phone string) string{
	"<code from the SMS sandbox line in the server log>": func(r *readmeRun, t *testing.T, x readmeExample, phone string) string {
		if m := loginPhone.FindStringSubmatch(x.text); m != nil && phone == "" {
			phone = m[1] // logging in: the number in the example
		}
		return r.e.SMS.LastCode(phone)
	},
	"<token>":                      path("login.token"),
	"<version from privacyPolicy>": path("privacyPolicy.version"),
	"<id from merchants>":          path("merchants.edges.0.node.id"),
	"<id from createAddress>":      path("createAddress.id"),
	"<id from placeOrder>":         path("placeOrder.id"),
	"<id from orderStatusChanged>": path("orderStatusChanged.id"),
	"<id from postErrand>":         path("postErrand.id"),
	"<id from applyStarCard>":      path("applyStarCard.id"),
	"<payload from starCardQR>":    path("starCardQR.payload"),
	"<id from createPost>":         path("createPost.id"),
	"<id from wowReceived>":        path("wowReceived.id"),
	"<id from products, of a node with studentOnly false>": func(r *readmeRun, t *testing.T, x readmeExample, _ string) string {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i := len(r.data) - 1; i >= 0; i-- {
			var d struct {
				Products struct {
					Edges []struct {
						Node struct {
							ID          string
							StudentOnly *bool
						}
					}
				}
			}
			_ = json.Unmarshal(r.data[i], &d)
			for _, e := range d.Products.Edges {
				if e.Node.StudentOnly != nil && !*e.Node.StudentOnly {
					return e.Node.ID
				}
			}
		}
		t.Fatalf("README.md line %d: no products answer above lists a node with studentOnly false", x.line)
		return ""
	},
}

func path(p string) func(r *readmeRun, t *testing.T, x readmeExample, phone string) string {
	return func(r *readmeRun, t *testing.T, x readmeExample, _ string) string { return r.answer(t, x, p) }
}

func (r *readmeRun) resolve(t *testing.T, x readmeExample, p, phone string) string {
	t.Helper()
	fill, ok := readmePlaceholders[p]
	if !ok {
		t.Fatalf("README.md line %d: placeholder %s has no entry in readmePlaceholders", x.line, p)
	}
	return fill(r, t, x, phone)
}

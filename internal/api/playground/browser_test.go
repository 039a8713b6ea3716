package playground_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// In a browser with no network beyond this machine, the playground loads,
// and a query typed into it runs and shows its result.
func TestBrowserRunsAQueryOffline(t *testing.T) {
	b := needBrowser(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		e.Seed(t)
		var out struct{ Products struct{ TotalCount int } }
		e.Must(t, "", `{ products(first: 2) { totalCount } }`, nil, &out)
		if out.Products.TotalCount == 0 {
			t.Fatal("the seed made no products")
		}
		want := fmt.Sprintf(`"totalCount": %d`, out.Products.TotalCount)
		r := b.start(t, e.Server.URL+"/", `{ products(first: 2) { totalCount } }`, `{}`, want)()
		r.check(t, want)
	})
}

// A subscription started from the page, with the token in the headers tab,
// receives an event over graphql-transport-ws.
func TestBrowserReceivesASubscriptionEvent(t *testing.T) {
	b := needBrowser(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		author, fan := e.Login(t, "13912340031"), e.Login(t, "13912340032")
		var made struct{ CreatePost struct{ ID string } }
		e.Must(t, author, `mutation { createPost(input: {text: "离线也能用", visibility: PUBLIC}) { id } }`, nil, &made)
		headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + author})
		want := `"wowCount": 1`
		wait := b.start(t, e.Server.URL+"/", `subscription { wowReceived { wowCount } }`, string(headers), want)
		e.Listening(t, 1) // the page's subscription reached the server
		e.Must(t, fan, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": made.CreatePost.ID}, nil)
		wait().check(t, want)
	})
}

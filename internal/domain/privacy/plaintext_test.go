package privacy_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Y1: the raw tables hold no phone number, email or SMS code in the clear.
func TestRawTablesHoldNoPlaintext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, alice)
		code := e.SMS.LastCode(alice)
		e.Post(t, tok, `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted } }`, nil)
		e.Post(t, tok, `mutation { submitFeedback(input: {text: "好", contactPhone: "13900001234", contactEmail: "bob.lee@example.com"}) { id } }`, nil)
		// A post's place (whereabouts, PIPL art. 28).
		e.Grant(t, tok, "LOCATION")
		e.Must(t, tok, `mutation { reportDevicePermissions(input: {platform: IOS, phone: false, camera: false, album: false, location: true, storage: false}) { location } }`, nil, nil)
		e.Must(t, tok, `mutation { createPost(input: {text: "到此一游", location: "紫荆公寓 3 号楼 40.0012,116.3264"}) { id } }`, nil, nil)
		secrets := []string{alice, "13900001234", "bob.lee@example.com", code, strings.TrimPrefix(tok, "txs_"),
			"紫荆公寓", "40.0012", "116.3264"}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, secrets...)
	})
}

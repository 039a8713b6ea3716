package student_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/studentverification"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const submit = `mutation($in: StudentVerificationInput!) { submitStudentVerification(input: $in) { name idNumber school status reason } }`

var jpeg = testdb.Photo()

func input(id, code string) map[string]any {
	return map[string]any{"in": map[string]any{"name": "王小红", "idNumber": id, "school": "清华大学", "chsiCode": code, "cardPhoto": nil}}
}

// S4: student verification under its separate consents, with the ID number
// checked (GB 11643, real birth date, 16 or older), sealed and masked.
func TestStudentVerification(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		token := e.Login(t, "13600006666")
		id := idcard.Make("110108", time.Date(2004, 5, 6, 0, 0, 0, 0, time.UTC), 123)
		photo := map[string][]byte{"variables.in.cardPhoto": jpeg}

		r := e.Upload(t, token, submit, input(id, "TESTOK123456"), photo)
		if r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("without consent: %+v", r.Errors)
		}
		e.Grant(t, token, "SHARE_VERIFICATION")
		if r := e.Upload(t, token, submit, input(id, "TESTOK123456"), photo); r.Code() != "CONSENT_REQUIRED" ||
			r.Errors[0].Extensions["purpose"] != "SENSITIVE_IDENTITY" {
			t.Fatalf("with one of two consents: %+v", r.Errors)
		}
		e.Grant(t, token, "SENSITIVE_IDENTITY")

		bad := []byte(id)
		bad[17] = "10X98765432"[(strings.IndexByte("10X98765432", bad[17])+1)%11]
		young := idcard.Make("110108", time.Now().AddDate(-15, 0, 0), 7)
		for name, c := range map[string]struct {
			id, code, want string
		}{
			"check digit": {string(bad), "TESTOK123456", "BAD_USER_INPUT"},
			"birth date":  {"110108" + "20040231" + "1230", "TESTOK123456", "BAD_USER_INPUT"},
			"under 16":    {young, "TESTOK123456", "AGE_RESTRICTED"},
			"code format": {id, "abc", "BAD_USER_INPUT"},
		} {
			r := e.Upload(t, token, submit, input(c.id, c.code), photo)
			if r.Code() != c.want || strings.Contains(r.Errors[0].Message, c.id) {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		if r := e.Upload(t, token, submit, input(id, "TESTOK123456"), map[string][]byte{"variables.in.cardPhoto": []byte("not an image")}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("not an image: %+v", r.Errors)
		}
		if n := db.Client.StudentVerification.Query().CountX(t.Context()); n != 0 {
			t.Fatalf("%d verifications stored from refused requests", n)
		}

		r = e.Upload(t, token, submit, input(id, "NOPE12345678"), photo)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"status":"REJECTED"`) || !strings.Contains(string(r.Data), "NOT_ENROLLED") {
			t.Fatalf("not enrolled: %s %+v", r.Data, r.Errors)
		}
		// A refused attempt with someone else's number blocks nobody.
		squatter := e.Login(t, "13600008888")
		e.Grant(t, squatter, "SHARE_VERIFICATION", "SENSITIVE_IDENTITY")
		if r := e.Upload(t, squatter, submit, input(id, "NOPE12345678"), photo); !strings.Contains(string(r.Data), `"status":"REJECTED"`) {
			t.Fatalf("squatter: %s %+v", r.Data, r.Errors)
		}
		var ok struct {
			SubmitStudentVerification struct{ Name, IDNumber, School, Status string }
		}
		e.Upload(t, token, submit, input(id, "TESTOK123456"), photo).Decode(t, &ok)
		v := ok.SubmitStudentVerification
		if v.Status != "VERIFIED" || v.Name != "王**" || v.IDNumber != id[:1]+strings.Repeat("*", 15)+id[16:] || v.School != "清华大学" {
			t.Fatalf("verification shown as %+v", v)
		}
		// The card photo was kept (and sent) as a picture without its EXIF.
		sv := db.Client.StudentVerification.Query().Where(studentverification.StatusEQ(studentverification.StatusVERIFIED)).OnlyX(t.Context())
		stored, err := e.Keys.Ring.Open(*sv.CardPhotoCipher, "student_verifications."+studentverification.FieldCardPhotoCipher)
		if err != nil || bytes.Contains(stored, []byte(testdb.ExifMarker)) || media.Detect(stored) != media.JPEG {
			t.Fatalf("stored card photo: %d bytes, %v", len(stored), err)
		}
		// The hand-over is in the ledger; nothing is stored in the clear.
		var led struct {
			MySharingRecords []struct{ Purpose, DataCategories string }
		}
		e.Must(t, token, `{ mySharingRecords { purpose dataCategories } }`, nil, &led)
		if len(led.MySharingRecords) != 2 || led.MySharingRecords[0].Purpose != "SHARE_VERIFICATION" {
			t.Fatalf("ledger %+v", led)
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, id, "王小红", "TESTOK123456", string(jpeg[4:40]))

		// A later refusal does not undo the verified identity.
		if r := e.Upload(t, token, submit, input(id, "NOPE12345678"), photo); !strings.Contains(string(r.Data), `"status":"REJECTED"`) {
			t.Fatalf("refused again: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, token, `{ myStudentVerification { status } }`, nil); !strings.Contains(string(r.Data), `"status":"VERIFIED"`) {
			t.Fatalf("after a later refusal: %s %+v", r.Data, r.Errors)
		}
		// The same ID number cannot verify a second account.
		other := e.Login(t, "13600007777")
		e.Grant(t, other, "SHARE_VERIFICATION", "SENSITIVE_IDENTITY")
		if r := e.Upload(t, other, submit, input(id, "TESTOK123456"), photo); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("second account: %+v", r.Errors)
		}
	})
}

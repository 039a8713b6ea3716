package rights_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	alice    = "13811110001"
	bob      = "13811110002"
	staff    = "13811119999"
	stranger = "13700000000" // never registered
	kinPhone = "13922223333"
	kinName  = "王小明"
)

// pdf is a small file that starts as a PDF does.
var pdf = []byte("%PDF-1.4\n% death certificate scan KIN-DOC-MARKER\n%%EOF\n")

// cst is a moment in China Standard Time.
func cst(date string, hour int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, date, chinatime.Zone)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour) * time.Hour)
}

// world is a server on a fake clock with a student, alice, and a member
// of staff.
type world struct {
	e            *apitest.Env
	clock        *testdb.Clock
	alice, staff string // tokens
}

func newWorld(t *testing.T, db *store.DB, start time.Time) *world {
	t.Helper()
	clock := testdb.NewClock(start)
	e := apitest.New(t, db, apitest.Options{Now: clock.Now})
	w := &world{e: e, clock: clock, alice: e.Login(t, alice), staff: e.Login(t, staff)}
	e.SetRole(t, staff, user.RoleSTAFF)
	return w
}

// staffViewer is the staff member as the domain sees them.
func (w *world) staffViewer(t *testing.T) *auth.Viewer {
	return &auth.Viewer{UserID: w.e.UserID(t, staff), Role: user.RoleSTAFF}
}

// request is PrivacyRequest as the graph answers it.
type request struct {
	ID, Kind, Requester, Status string
	Details, Answer             *string
	CreatedAt, DueAt            time.Time
	AnsweredAt                  *time.Time
}

const requestFields = `id kind requester status details createdAt dueAt answeredAt answer`

func (w *world) submit(t *testing.T, token, kind, details string) request {
	t.Helper()
	var out struct{ SubmitPrivacyRequest request }
	w.e.Must(t, token, `mutation($in: PrivacyRequestInput!) { submitPrivacyRequest(input: $in) { `+requestFields+` } }`,
		map[string]any{"in": map[string]any{"kind": kind, "details": details}}, &out)
	return out.SubmitPrivacyRequest
}

// submitKin sends a next of kin's request with a JPEG and a PDF, as an
// anonymous caller.
func (w *world) submitKin(t *testing.T, deceased, kind string) *apitest.Response {
	t.Helper()
	return w.e.Upload(t, "", `mutation($in: KinRequestInput!) { submitKinRequest(input: $in) { `+requestFields+` } }`,
		map[string]any{"in": map[string]any{"kind": kind, "deceasedPhone": deceased, "kinName": kinName,
			"kinContact": kinPhone, "kinRelation": "儿子", "details": "请删除我父亲的账号信息", "documents": []any{nil, nil}}},
		map[string][]byte{"variables.in.documents.0": testdb.Photo(), "variables.in.documents.1": pdf})
}

func (w *world) kinRequest(t *testing.T, deceased, kind string) request {
	t.Helper()
	var out struct{ SubmitKinRequest request }
	w.submitKin(t, deceased, kind).Decode(t, &out)
	return out.SubmitKinRequest
}

// staffRequest is StaffPrivacyRequest as the graph answers it.
type staffRequest struct {
	Request         request
	Subject         *struct{ ID string }
	KinName         *string
	KinContact      *string
	KinRelation     *string
	KinArrangement  *string
	HasDocuments    bool
	WorkingDaysLeft int
}

const queueQuery = `{ privacyRequestQueue { request { ` + requestFields + ` } subject { id }
	kinName kinContact kinRelation kinArrangement hasDocuments workingDaysLeft } }`

func (w *world) queue(t *testing.T) []staffRequest {
	t.Helper()
	var out struct{ PrivacyRequestQueue []staffRequest }
	w.e.Must(t, w.staff, queueQuery, nil, &out)
	return out.PrivacyRequestQueue
}

func (w *world) answer(t *testing.T, id, text string, refuse bool) request {
	t.Helper()
	var out struct{ AnswerPrivacyRequest request }
	w.e.Must(t, w.staff, `mutation($in: AnswerPrivacyRequestInput!) { answerPrivacyRequest(input: $in) { `+requestFields+` } }`,
		map[string]any{"in": map[string]any{"id": id, "answer": text, "refuse": refuse}}, &out)
	return out.AnswerPrivacyRequest
}

func (w *world) mine(t *testing.T, token string) []request {
	t.Helper()
	var out struct{ MyPrivacyRequests []request }
	w.e.Must(t, token, `{ myPrivacyRequests { `+requestFields+` } }`, nil, &out)
	return out.MyPrivacyRequests
}

// dbID is the database id behind a graph ID.
func (w *world) dbID(t *testing.T, id string) int {
	t.Helper()
	n, err := w.e.Codec.DecodeID(id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error %v has code %s, want %s", err, got, code)
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

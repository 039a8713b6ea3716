package rights_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/imageformat"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// R7: a next of kin's request is accepted the same way whether or not the
// number has an account, so the form does not tell who used the app; staff
// see which it is, with the kin's name and number masked.
func TestKinRequestForAnUnknownNumberLooksLikeOneForAKnownNumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		known, unknown := w.submitKin(t, alice, "DELETE"), w.submitKin(t, stranger, "DELETE")
		if known.Status != unknown.Status || len(known.Errors)+len(unknown.Errors) > 0 {
			t.Fatalf("known: %d %+v; unknown: %d %+v", known.Status, known.Errors, unknown.Status, unknown.Errors)
		}
		if a, b := withoutID(t, known.Data), withoutID(t, unknown.Data); a != b {
			t.Fatalf("the answers differ:\nknown   %s\nunknown %s", a, b)
		}
		var k struct{ SubmitKinRequest request }
		known.Decode(t, &k)
		if r := k.SubmitKinRequest; r.Requester != "NEXT_OF_KIN" || r.Status != "OPEN" || !r.DueAt.Equal(cst("2025-10-23", 18)) {
			t.Fatalf("kin request: %s", dump(r))
		}

		q := w.queue(t)
		if len(q) != 2 || q[0].Subject == nil || q[1].Subject != nil {
			t.Fatalf("staff see which number has an account: %s", dump(q))
		}
		for _, r := range q {
			if r.KinName == nil || *r.KinName == kinName || !strings.HasPrefix(*r.KinName, "王") ||
				r.KinContact == nil || *r.KinContact != "139****3333" || r.KinRelation == nil || *r.KinRelation != "儿子" ||
				!r.HasDocuments || r.KinArrangement != nil || r.Request.Requester != "NEXT_OF_KIN" {
				t.Errorf("staff view: %s", dump(r))
			}
		}
		docs, err := w.e.Services.Rights.Documents(t.Context(), w.staffViewer(t), w.dbID(t, q[0].Request.ID))
		if err != nil || len(docs) != 2 || docs[0].Type != imageformat.JPEG || !bytes.Equal(docs[0].Data, testdb.Photo()) ||
			docs[1].Type != rights.PDF || !bytes.Equal(docs[1].Data, pdf) {
			t.Fatalf("documents for review: %d, %v", len(docs), err)
		}
		if mine := w.mine(t, w.alice); len(mine) != 0 {
			t.Fatalf("the kin's words show in the user's own list: %s", dump(mine))
		}
		testdb.AssertNoPlaintext(t, db.SQL, db.Dialect, kinName, kinPhone, stranger, "KIN-DOC-MARKER", "请删除我父亲的账号信息")
	})
}

// withoutID is a response's data with the request's id taken out.
func withoutID(t *testing.T, data json.RawMessage) string {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m["submitKinRequest"], "id")
	return dump(m)
}

// Anonymous kin requests are bounded per client; what is not a request is
// refused before anything is looked up.
func TestKinRequestsAreCheckedAndLimitedPerClient(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		svc := w.e.Services.Rights
		good := rights.KinInput{Kind: privacyrequest.KindCOPY, DeceasedPhone: alice, KinName: kinName,
			KinContact: kinPhone, KinRelation: "女儿", Documents: [][]byte{pdf}}
		bad := map[string]func(in *rights.KinInput){
			"a kind a kin may not ask": func(in *rights.KinInput) { in.Kind = privacyrequest.KindCANCEL },
			"no documents":             func(in *rights.KinInput) { in.Documents = nil },
			"too many documents":       func(in *rights.KinInput) { in.Documents = [][]byte{pdf, pdf, pdf, pdf, pdf} },
			"a text file":              func(in *rights.KinInput) { in.Documents = [][]byte{[]byte("just words")} },
			"a file too large": func(in *rights.KinInput) {
				in.Documents = [][]byte{append(bytes.Clone(pdf), make([]byte, rights.MaxDocumentBytes)...)}
			},
			"no name":             func(in *rights.KinInput) { in.KinName = "  " },
			"no relation":         func(in *rights.KinInput) { in.KinRelation = "" },
			"a contact not phone": func(in *rights.KinInput) { in.KinContact = "someone@example.com" },
			"a bad number":        func(in *rights.KinInput) { in.DeceasedPhone = "12345" },
		}
		for name, edit := range bad {
			in := good
			edit(&in)
			_, err := svc.SubmitKin(t.Context(), in)
			if err == nil {
				t.Errorf("%s: accepted", name)
				continue
			}
			wantCode(t, err, apperr.CodeBadUserInput)
		}
		if n, _ := db.Client.PrivacyRequest.Query().Count(t.Context()); n != 0 {
			t.Fatalf("refused requests were stored: %d", n)
		}

		for i := range 5 {
			if r := w.submitKin(t, stranger, "ACCESS"); len(r.Errors) > 0 {
				t.Fatalf("kin request %d: %+v", i+1, r.Errors)
			}
		}
		if r := w.submitKin(t, stranger, "ACCESS"); r.Code() != "RATE_LIMITED" {
			t.Fatalf("sixth kin request from one client today: %s %+v", r.Data, r.Errors)
		}
	})
}

// R7: the user's own arrangement wins. Recorded as an account change; a
// kin's request about a user who said NO_KIN_ACCESS can only be refused.
func TestNoKinAccessArrangementWins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		bobToken := w.e.Login(t, bob)
		set := `mutation($a: KinArrangement) { setKinArrangement(arrangement: $a) { id } }`
		w.e.Must(t, w.alice, set, map[string]any{"a": "NO_KIN_ACCESS"}, nil)
		w.e.Must(t, bobToken, set, map[string]any{"a": "KIN_MAY_ACT"}, nil)

		forAlice, forBob := w.kinRequest(t, alice, "COPY"), w.kinRequest(t, bob, "COPY")
		q := w.queue(t)
		if len(q) != 2 || q[0].KinArrangement == nil || *q[0].KinArrangement != "NO_KIN_ACCESS" ||
			q[1].KinArrangement == nil || *q[1].KinArrangement != "KIN_MAY_ACT" {
			t.Fatalf("staff do not see the arrangements: %s", dump(q))
		}
		svc, staffV := w.e.Services.Rights, w.staffViewer(t)
		_, err := svc.Answer(t.Context(), staffV, w.dbID(t, forAlice.ID), "已将数据副本发给申请人", false)
		wantCode(t, err, apperr.CodeForbidden)
		if docs, _ := svc.Documents(t.Context(), staffV, w.dbID(t, forAlice.ID)); len(docs) != 2 {
			t.Fatalf("a refused answer touched the documents: %d left", len(docs))
		}
		if r := w.answer(t, forAlice.ID, "逝者生前已安排不允许近亲属查阅或复制其个人信息", true); r.Status != "REFUSED" {
			t.Fatalf("refusal: %s", dump(r))
		}
		if r := w.answer(t, forBob.ID, "已将数据副本发给申请人", false); r.Status != "ANSWERED" {
			t.Fatalf("answer where kin may act: %s", dump(r))
		}

		w.e.Must(t, w.alice, set, map[string]any{"a": nil}, nil)
		aliceID := w.e.UserID(t, alice)
		u, err := db.Client.User.Get(t.Context(), aliceID)
		if err != nil || u.KinArrangement != nil {
			t.Fatalf("arrangement after clearing: %v, %v", u.KinArrangement, err)
		}
		n, err := db.Client.AccountChange.Query().Where(accountchange.UserID(aliceID),
			accountchange.FieldEQ(accountchange.FieldKIN_ARRANGEMENT)).Count(t.Context())
		if err != nil || n != 2 {
			t.Fatalf("recorded changes = %d, %v; want 2", n, err)
		}
		if u, _ := db.Client.User.Query().Where(user.ID(w.e.UserID(t, bob))).Only(t.Context()); u.KinArrangement == nil ||
			*u.KinArrangement != user.KinArrangementKIN_MAY_ACT {
			t.Fatalf("bob's arrangement: %v", u.KinArrangement)
		}
	})
}

// The documents were kept for the review: answered or refused, they go;
// the request itself is kept as evidence.
func TestKinDocumentsAreDeletedOnceAnswered(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		svc, staffV := w.e.Services.Rights, w.staffViewer(t)
		answered, refused := w.kinRequest(t, alice, "ACCESS"), w.kinRequest(t, stranger, "DELETE")
		for _, r := range []request{answered, refused} {
			if docs, err := svc.Documents(t.Context(), staffV, w.dbID(t, r.ID)); err != nil || len(docs) != 2 {
				t.Fatalf("before the answer: %d documents, %v", len(docs), err)
			}
		}
		w.answer(t, answered.ID, "已向申请人提供查阅", false)
		w.answer(t, refused.ID, "无法核实亲属关系证明", true)
		for _, r := range []request{answered, refused} {
			id := w.dbID(t, r.ID)
			// NULL in the database; the name and contact stay as evidence.
			kept, err := db.Client.PrivacyRequest.Query().Where(privacyrequest.ID(id), privacyrequest.KinDocumentsCipherIsNil(),
				privacyrequest.KinNameCipherNotNil(), privacyrequest.KinContactCipherNotNil()).Exist(t.Context())
			if err != nil || !kept {
				t.Errorf("request %s after the answer: documents deleted and the rest kept = %v, %v", r.ID, kept, err)
			}
			if docs, err := svc.Documents(t.Context(), staffV, id); err != nil || docs != nil {
				t.Errorf("documents after the answer: %d, %v", len(docs), err)
			}
		}
	})
}

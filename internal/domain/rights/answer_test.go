package rights_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// R8: a refusal (abusive repeats) needs a reason; the user reads the answer
// or the reason; a request is answered once.
func TestRefusalNeedsAReasonAndTheUserReadsTheAnswer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-10-09", 10))
		svc, staffV := w.e.Services.Rights, w.staffViewer(t)
		repeat := w.submit(t, w.alice, "COMPLAINT", "同样的投诉")
		for _, reason := range []string{"", "   ", "重复", strings.Repeat("长", 2001)} {
			_, err := svc.Answer(t.Context(), staffV, w.dbID(t, repeat.ID), reason, true)
			wantCode(t, err, apperr.CodeBadUserInput)
		}
		_, err := svc.Answer(t.Context(), staffV, w.dbID(t, repeat.ID), "", false)
		wantCode(t, err, apperr.CodeBadUserInput)

		w.clock.Add(2 * time.Hour)
		reason := "您已于本月提出同一投诉三次，我们已于 10 月 9 日答复，本次不再重复处理"
		refused := w.answer(t, repeat.ID, reason, true)
		if refused.Status != "REFUSED" || refused.Answer == nil || *refused.Answer != reason ||
			refused.AnsweredAt == nil || !refused.AnsweredAt.Equal(w.clock.Now()) {
			t.Fatalf("refused: %s", dump(refused))
		}
		_, err = svc.Answer(t.Context(), staffV, w.dbID(t, repeat.ID), "再答一次", false)
		wantCode(t, err, apperr.CodeConflict)
		_, err = svc.Answer(t.Context(), staffV, w.dbID(t, repeat.ID)+1_000_000, "没有这个请求", false)
		wantCode(t, err, apperr.CodeNotFound)

		access := w.submit(t, w.alice, "ACCESS", "我想知道你们保存了我哪些信息")
		answered := w.answer(t, access.ID, "  已将您的个人信息清单发送到站内信  ", false)
		if answered.Status != "ANSWERED" || answered.Answer == nil || *answered.Answer != "已将您的个人信息清单发送到站内信" {
			t.Fatalf("answered: %s", dump(answered))
		}

		mine := w.mine(t, w.alice)
		if len(mine) != 2 || mine[0].ID != access.ID || mine[1].ID != repeat.ID {
			t.Fatalf("my requests, newest first: %s", dump(mine))
		}
		if *mine[0].Answer != *answered.Answer || mine[0].Status != "ANSWERED" ||
			*mine[1].Answer != reason || mine[1].Status != "REFUSED" || *mine[1].Details != "同样的投诉" {
			t.Fatalf("the user reads: %s", dump(mine))
		}
		if others := w.mine(t, w.e.Login(t, bob)); len(others) != 0 {
			t.Fatalf("bob sees alice's requests: %s", dump(others))
		}
		if q := w.queue(t); len(q) != 0 {
			t.Fatalf("answered requests stay in the queue: %s", dump(q))
		}
	})
}

// A user can hold a few open requests of one kind, not an endless number.
func TestOpenRequestsOfOneKindAreCapped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-10-09", 10))
		svc, aliceID := w.e.Services.Rights, w.e.UserID(t, alice)
		var first *rights.Request
		for i := range rights.MaxOpenPerKind {
			r, err := svc.Submit(t.Context(), aliceID, privacyrequest.KindDELETE, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
			if i == 0 {
				first = r
			}
		}
		_, err := svc.Submit(t.Context(), aliceID, privacyrequest.KindDELETE, nil)
		wantCode(t, err, apperr.CodeBadUserInput)
		if _, err := svc.Submit(t.Context(), aliceID, privacyrequest.KindRESTRICT, nil); err != nil {
			t.Fatalf("another kind: %v", err)
		}
		if _, err := svc.Answer(t.Context(), w.staffViewer(t), first.ID, "已删除您发布的内容", false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(t.Context(), aliceID, privacyrequest.KindDELETE, nil); err != nil {
			t.Fatalf("after one was answered: %v", err)
		}
	})
}

// K2: the policy's own contact, to anyone.
func TestPrivacyContactIsThePolicys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-10-09", 10))
		var out struct {
			PrivacyContact struct {
				Email, Address, Hours   string
				AnswerWithinWorkingDays int
			}
		}
		w.e.Must(t, "", `{ privacyContact { email address hours answerWithinWorkingDays } }`, nil, &out)
		c := out.PrivacyContact
		if c.Email != "privacy@lexin.com" || c.AnswerWithinWorkingDays != 15 || !strings.Contains(c.Hours, "9:00–18:00") ||
			!strings.Contains(c.Address, "科苑南路 3099 号") {
			t.Fatalf("contact: %+v", c)
		}
	})
}

// P1: while a major policy version waits to be accepted, the user can
// still reach us about their data.
func TestRequestsWorkWhileThePolicyGateIsUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-10-09", 10))
		w.e.Must(t, w.staff, `mutation($in: PublishPolicyInput!) { publishPrivacyPolicy(input: $in) { version } }`,
			map[string]any{"in": map[string]any{"version": "2025-10-09", "summary": "新增共享方",
				"effectiveAt": w.clock.Now().Format(time.RFC3339Nano), "major": true}}, nil)
		if r := w.e.Post(t, w.alice, `{ me { id } }`, nil); r.Code() != "POLICY_UPDATE_REQUIRED" {
			t.Fatalf("the gate is not up: %+v", r.Errors)
		}

		r := w.submit(t, w.alice, "CANCEL", "")
		if r.Status != "OPEN" {
			t.Fatalf("submitted behind the gate: %s", dump(r))
		}
		if mine := w.mine(t, w.alice); len(mine) != 1 || mine[0].ID != r.ID {
			t.Fatalf("my requests behind the gate: %s", dump(mine))
		}
		w.e.Must(t, w.alice, `mutation { setKinArrangement(arrangement: KIN_MAY_ACT) { id } }`, nil, nil)
		w.e.Must(t, w.alice, `{ privacyContact { email } }`, nil, nil)
		w.kinRequest(t, bob, "COPY")
	})
}

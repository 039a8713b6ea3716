package rights_test

import (
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/internal/domain/rights"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const calendarWarning = "working-day calendar does not cover a due date"

// R8: a request is due at the close of business (18:00) of the 15th working
// day after the day it arrives, on the mainland China calendar.
func TestRequestIsDueFifteenWorkingDaysAfterTheDayItArrives(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cases := []struct {
			name    string
			arrival time.Time
			want    time.Time
		}{
			{"Friday evening before the Spring Festival", cst("2025-01-24", 21), cst("2025-02-20", 18)},
			// 28 Sep (Sun) is worked: day 1; the holiday runs to 8 Oct; 11 Oct (Sat) is worked.
			{"Friday morning before National Day", cst("2025-09-26", 10), cst("2025-10-23", 18)},
			{"on the holiday itself", cst("2025-10-03", 10), cst("2025-10-28", 18)},
		}
		w := newWorld(t, db, cases[0].arrival)
		for _, tc := range cases {
			w.clock.Set(tc.arrival)
			w.e.SkipCooldowns(t)
			token := w.e.Login(t, alice) // a fresh session at the moved clock
			r := w.submit(t, token, "ACCESS", "")
			if !r.DueAt.Equal(tc.want) || !r.CreatedAt.Equal(tc.arrival) {
				t.Errorf("%s: created %s due %s, want created %s due %s", tc.name, r.CreatedAt, r.DueAt, tc.arrival, tc.want)
			}
			if r.Status != "OPEN" || r.Requester != "SELF" || r.Details != nil || r.Answer != nil || r.AnsweredAt != nil {
				t.Errorf("%s: a new request is %s", tc.name, dump(r))
			}
		}
		if w.e.Logs.Contains(calendarWarning) {
			t.Errorf("dates the file covers were logged as not covered")
		}

		// Past the years of the file: Monday to Friday, and the log says so.
		w.clock.Set(cst("2026-12-21", 10))
		w.e.SkipCooldowns(t)
		r := w.submit(t, w.e.Login(t, alice), "COPY", "  请导出我的全部数据  ")
		if want := cst("2027-01-11", 18); !r.DueAt.Equal(want) {
			t.Errorf("fallback due date %s, want %s", r.DueAt, want)
		}
		if r.Details == nil || *r.Details != "请导出我的全部数据" {
			t.Errorf("details %v, want them trimmed", r.Details)
		}
		if !w.e.Logs.Contains(calendarWarning) {
			t.Errorf("a due date in an uncovered year was not logged")
		}
	})
}

// R8: staff see open requests the soonest due first (then the oldest), with
// the working days left, negative once late.
func TestStaffQueueIsOrderedByDueDate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		copyReq := w.submit(t, w.alice, "COPY", "") // due 23 Oct
		w.clock.Set(cst("2025-09-28", 10))          // a Sunday worked
		deleteReq := w.submit(t, w.alice, "DELETE", "")
		// Requests that arrived by email on 19 Sep, keyed in now: the
		// newest rows, due first.
		emailed := rights.New(rights.Deps{Client: db.Client, Keys: w.e.Keys, Log: w.e.Services.Log,
			Now: func() time.Time { return cst("2025-09-19", 10) }})
		aliceID := w.e.UserID(t, alice)
		accessReq, err := emailed.Submit(t.Context(), aliceID, privacyrequest.KindACCESS, nil) // due 16 Oct
		if err != nil {
			t.Fatal(err)
		}
		restrictReq, err := emailed.Submit(t.Context(), aliceID, privacyrequest.KindRESTRICT, nil) // due 16 Oct, made after
		if err != nil {
			t.Fatal(err)
		}
		answered := w.submit(t, w.alice, "EXPLAIN", "")
		w.answer(t, answered.ID, "规则说明已发到站内信", false)
		gid := w.e.Codec.EncodeID

		type row struct {
			id   string
			due  time.Time
			left int
		}
		check := func(at time.Time, want []row) {
			t.Helper()
			w.clock.Set(at)
			q := w.queue(t)
			if len(q) != len(want) {
				t.Fatalf("at %s: queue of %d, want %d: %s", at, len(q), len(want), dump(q))
			}
			for i, r := range want {
				got := q[i]
				if got.Request.ID != r.id || !got.Request.DueAt.Equal(r.due) || got.WorkingDaysLeft != r.left {
					t.Errorf("at %s: #%d is %s due %s with %d left, want %s due %s with %d left", at, i,
						got.Request.ID, got.Request.DueAt, got.WorkingDaysLeft, r.id, r.due, r.left)
				}
			}
		}
		check(cst("2025-10-13", 10), []row{
			{gid(accessReq.ID), cst("2025-10-16", 18), 3}, {gid(restrictReq.ID), cst("2025-10-16", 18), 3},
			{copyReq.ID, cst("2025-10-23", 18), 8}, {deleteReq.ID, cst("2025-10-24", 18), 9},
		})
		check(cst("2025-10-24", 10), []row{
			{gid(accessReq.ID), cst("2025-10-16", 18), -6}, {gid(restrictReq.ID), cst("2025-10-16", 18), -6},
			{copyReq.ID, cst("2025-10-23", 18), -1}, {deleteReq.ID, cst("2025-10-24", 18), 0},
		})
		n, err := db.Client.PrivacyRequest.Query().Where(privacyrequest.StatusEQ(privacyrequest.StatusOPEN)).Count(t.Context())
		if err != nil || n != 4 {
			t.Fatalf("open requests = %d, %v", n, err)
		}
	})
}

// Only staff see or answer the queue.
func TestStudentsCannotSeeOrAnswerTheQueue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, cst("2025-09-26", 10))
		r := w.submit(t, w.alice, "DELETE", "")
		if got := w.e.Post(t, w.alice, queueQuery, nil); got.Code() != "FORBIDDEN" {
			t.Fatalf("a student reads the queue: %s %+v", got.Data, got.Errors)
		}
		if got := w.e.Post(t, "", queueQuery, nil); got.Code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous reads the queue: %s %+v", got.Data, got.Errors)
		}
		student := w.staffViewer(t)
		student.UserID, student.Role = w.e.UserID(t, alice), "STUDENT"
		_, err := w.e.Services.Rights.Answer(t.Context(), student, w.dbID(t, r.ID), "已删除", false)
		wantCode(t, err, apperr.CodeForbidden)
		_, err = w.e.Services.Rights.Queue(t.Context(), student, 10)
		wantCode(t, err, apperr.CodeForbidden)
		if q := w.queue(t); len(q) != 1 || q[0].Request.Status != "OPEN" {
			t.Fatalf("queue after the student tried: %s", dump(q))
		}
	})
}

package rights

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// A refusal's reason (R8): long enough to say something, short enough to read.
const (
	minReason = 4
	maxReason = 2000
	maxAnswer = 4000 // the column's bound
)

func requireStaff(v *auth.Viewer) error {
	if v == nil || v.Role != user.RoleSTAFF {
		return apperr.Forbidden("staff only")
	}
	return nil
}

// Queue lists open requests for staff, the soonest due first.
func (s *Service) Queue(ctx context.Context, staff *auth.Viewer, limit int) ([]*StaffRequest, error) {
	if err := requireStaff(staff); err != nil {
		return nil, err
	}
	rs, err := s.client.PrivacyRequest.Query().Where(privacyrequest.StatusEQ(privacyrequest.StatusOPEN)).
		Order(ent.Asc(privacyrequest.FieldDueAt), ent.Asc(privacyrequest.FieldID)).
		Limit(paging.Clamp(limit)).WithUser().Select(withoutDocuments...).All(ctx)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	ids := make([]int, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	docs, err := s.client.PrivacyRequest.Query().
		Where(privacyrequest.IDIn(ids...), privacyrequest.KinDocumentsCipherNotNil()).IDs(ctx)
	if err != nil {
		return nil, err
	}
	withDocs := make(map[int]bool, len(docs))
	for _, id := range docs {
		withDocs[id] = true
	}
	now, unknown := s.now(), false
	out := make([]*StaffRequest, len(rs))
	for i, r := range rs {
		if out[i], err = s.staffView(r); err != nil {
			return nil, err
		}
		left, known := s.cal.WorkdaysBetween(now, r.DueAt)
		out[i].WorkingDaysLeft, out[i].HasDocuments = left, withDocs[r.ID]
		unknown = unknown || !known
	}
	if unknown {
		s.log.WarnContext(ctx, "working-day calendar does not cover a due date in the queue: counted Monday to Friday",
			"covered", s.cal.Years())
	}
	return out, nil
}

func (s *Service) staffView(r *ent.PrivacyRequest) (*StaffRequest, error) {
	req, err := s.view(r)
	if err != nil {
		return nil, err
	}
	v := &StaffRequest{Request: req, Subject: r.Edges.User}
	if v.KinName, err = s.open(r.KinNameCipher, kinNameColumn); err != nil {
		return nil, err
	}
	if v.KinContact, err = s.open(r.KinContactCipher, kinContactColumn); err != nil {
		return nil, err
	}
	if r.KinRelation != "" {
		v.KinRelation = &r.KinRelation
	}
	if u := r.Edges.User; u != nil {
		v.KinArrangement = u.KinArrangement
	}
	return v, nil
}

// Answer answers an open request, or refuses it with the reason in answer.
// A next of kin's request about a user who arranged NO_KIN_ACCESS can only
// be refused (R7: the user's own arrangement wins). Either way a kin's
// documents are deleted: they were kept for the review only.
func (s *Service) Answer(ctx context.Context, staff *auth.Viewer, id int, answer string, refuse bool) (*Request, error) {
	if err := requireStaff(staff); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(answer)
	n := utf8.RuneCountInString(text)
	status := privacyrequest.StatusANSWERED
	if refuse {
		if n < minReason || n > maxReason {
			return nil, apperr.BadField("answer", "a refusal needs its reason, in %d to %d characters", minReason, maxReason)
		}
		status = privacyrequest.StatusREFUSED
	} else if n < 1 || n > maxAnswer {
		return nil, apperr.BadField("answer", "an answer has 1 to %d characters", maxAnswer)
	}
	var r *ent.PrivacyRequest
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cur, err := tx.PrivacyRequest.Query().Where(privacyrequest.ID(id)).WithUser().
			Select(withoutDocuments...).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.NotFound("privacy request")
		}
		if err != nil {
			return err
		}
		if cur.Status != privacyrequest.StatusOPEN {
			return apperr.New(apperr.CodeConflict, "this request was already answered")
		}
		if u := cur.Edges.User; !refuse && cur.Requester == privacyrequest.RequesterNEXT_OF_KIN && u != nil &&
			u.KinArrangement != nil && *u.KinArrangement == user.KinArrangementNO_KIN_ACCESS {
			return apperr.Forbidden("the user arranged that no next of kin may act on their data: refuse with a reason")
		}
		// Only an OPEN row changes, so of two staff answering at once one wins.
		done, err := tx.PrivacyRequest.Update().
			Where(privacyrequest.ID(id), privacyrequest.StatusEQ(privacyrequest.StatusOPEN)).
			SetStatus(status).SetAnswer(text).SetAnsweredAt(s.now()).SetHandledBy(staff.UserID).
			ClearKinDocumentsCipher().Save(ctx)
		if err != nil {
			return err
		}
		if done != 1 {
			return apperr.New(apperr.CodeConflict, "this request was already answered")
		}
		r, err = tx.PrivacyRequest.Query().Where(privacyrequest.ID(id)).Select(withoutDocuments...).Only(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "privacy request answered", "id", id, "status", status, "staff_id", staff.UserID)
	return s.view(r)
}

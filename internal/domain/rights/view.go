// Package rights handles requests to exercise a right under the privacy
// policy (R2, R7, R8, K2): made by the user or by a next of kin of a
// deceased user, each due 15 working days after it arrives (the mainland
// China calendar of internal/infra/workday), answered or refused by staff.
package rights

import (
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/user"
)

// Request is a request with its details opened, for the graph.
type Request struct {
	ID         int
	UserID     *int
	Kind       privacyrequest.Kind
	Requester  privacyrequest.Requester
	Status     privacyrequest.Status
	Details    *string
	CreatedAt  time.Time
	DueAt      time.Time
	AnsweredAt *time.Time
	Answer     *string
}

// StaffRequest is what staff see of a request; the graph masks the kin's
// name and contact.
type StaffRequest struct {
	Request         *Request
	Subject         *ent.User
	KinName         *string
	KinContact      *string
	KinRelation     *string
	KinArrangement  *user.KinArrangement
	HasDocuments    bool
	WorkingDaysLeft int
}

// OwnerID is the user the request is about, for @mask reveals (0: none).
func (s *StaffRequest) OwnerID() int {
	if s.Request.UserID == nil {
		return 0
	}
	return *s.Request.UserID
}

package retention

import (
	"errors"
	"time"

	"github.com/tongxue/tongxue/ent/consentevent"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// periods are the declared rules the runner carries out, read once.
type periods struct {
	orders, errands, errandPhotos, exports  pii.Keep
	reveals, sharing, consents, acceptances pii.Keep
	feedback, requests                      pii.Keep
}

func declaredPeriods() (periods, error) {
	var p periods
	var errs []error
	read := func(dst *pii.Keep, table, column string) {
		var err error
		*dst, err = KeepOf(table, column)
		errs = append(errs, err)
	}
	read(&p.orders, order.Table, "")
	read(&p.errands, errand.Table, "")
	read(&p.errandPhotos, errand.Table, errand.FieldPhotoKey)
	read(&p.exports, dataexport.Table, dataexport.FieldArchiveCipher)
	read(&p.reveals, sensitiveaccess.Table, "")
	read(&p.sharing, sharingrecord.Table, "")
	read(&p.consents, consentevent.Table, "")
	read(&p.acceptances, policyacceptance.Table, "")
	read(&p.feedback, feedback.Table, feedback.FieldContactPhoneCipher)
	read(&p.requests, privacyrequest.Table, privacyrequest.FieldDetailsCipher)
	return p, errors.Join(errs...)
}

// rules are carried out in this order: cancellations first (they erase
// what the later rules would otherwise find personal).
func (r *Runner) rules(now time.Time) []rule {
	p := r.periods
	return []rule{
		r.cancellations(now),
		expiredExports(now, p.exports),
		answeredBankDocuments(),
		r.deliveredErrands(now, p.errandPhotos),
		closedOrders(now, p.orders),
		r.endedErrands(now, p.errands),
		revealAudit(now, p.reveals),
		sharingLedger(now, p.sharing),
		consentHistory(now, p.consents),
		policyAcceptances(now, p.acceptances),
		oldFeedback(now, p.feedback),
		answeredRequests(now, p.requests),
	}
}

// Actions reported in counts.
const (
	deleted   = "deleted"
	erased    = "erased"
	completed = "completed"
	cancelled = "cancelled"
	released  = "released"
)

// mediaTable names the picture store in counts.
const mediaTable = "media"

func count(table, action string, n int) Count { return Count{Table: table, Action: action, Rows: n} }

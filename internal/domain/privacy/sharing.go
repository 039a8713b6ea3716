package privacy

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Sharing is one hand-over of a user's personal data to another party (D1).
type Sharing struct {
	UserID           int
	Recipient        string // the receiving party's name
	RecipientContact string
	Purpose          pii.Purpose
	Method           string // how: "HTTPS API", "merchant console", ...
	Categories       string // which data, in the policy's words
	Reference        string // e.g. the order number
}

// RecordSharing writes the ledger entry inside the transaction of the
// hand-over itself, so there is never a hand-over without its record.
func RecordSharing(ctx context.Context, tx *ent.Tx, s Sharing, at time.Time) error {
	return create(ctx, tx.SharingRecord, s, at)
}

// RecordSharingBefore writes the ledger entry on its own, before a call
// that sends the data to an outside party: the call may deliver it even
// when it fails, and the record must exist whatever happens after.
func RecordSharingBefore(ctx context.Context, client *ent.Client, s Sharing, at time.Time) error {
	return create(ctx, client.SharingRecord, s, at)
}

func create(ctx context.Context, c *ent.SharingRecordClient, s Sharing, at time.Time) error {
	return c.Create().
		SetUserID(s.UserID).SetRecipient(s.Recipient).SetRecipientContact(s.RecipientContact).
		SetPurpose(s.Purpose).SetMethod(s.Method).SetDataCategories(s.Categories).
		SetReference(s.Reference).SetCreatedAt(at).Exec(ctx)
}

// SharingRecords lists a user's ledger, newest first.
func (s *Service) SharingRecords(ctx context.Context, userID, limit int) ([]*ent.SharingRecord, error) {
	return s.client.SharingRecord.Query().Where(sharingrecord.UserID(userID)).
		Order(ent.Desc(sharingrecord.FieldCreatedAt), ent.Desc(sharingrecord.FieldID)).
		Limit(paging.Clamp(limit)).All(ctx)
}

package privacy

import (
	"context"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/paging"
)

// recordReveal writes the audit record of one reveal; no record, no reveal.
// An erased value (a nil pointer: a pick-up code after the errand) reveals
// nothing, so nothing is recorded: the owner's list shows only real reveals.
func (s *Service) recordReveal(ctx context.Context, actor *auth.Viewer, subjectID int, field, reason string, value any) error {
	if erased(value) {
		return nil
	}
	return s.client.SensitiveAccess.Create().
		SetActorID(actor.UserID).SetActorRole(sensitiveaccess.ActorRole(actor.Role)).
		SetSubjectID(subjectID).SetField(field).SetReason(reason).SetCreatedAt(s.now()).
		Exec(ctx)
}

// Accesses lists the reveals of a user's data, newest first.
func (s *Service) Accesses(ctx context.Context, subjectID, limit int) ([]*ent.SensitiveAccess, error) {
	return s.client.SensitiveAccess.Query().Where(sensitiveaccess.SubjectID(subjectID)).
		Order(ent.Desc(sensitiveaccess.FieldCreatedAt), ent.Desc(sensitiveaccess.FieldID)).
		Limit(paging.Clamp(limit)).All(ctx)
}

// erased reports a masked field's value that is not there.
func erased(value any) bool {
	switch v := value.(type) {
	case nil:
		return true
	case *string:
		return v == nil
	}
	return false
}

package rights

import (
	"slices"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/privacyrequest"
)

// withoutDocuments selects every column but the documents, which may be
// megabytes: lists never load them.
var withoutDocuments = slices.DeleteFunc(slices.Clone(privacyrequest.Columns),
	func(c string) bool { return c == privacyrequest.FieldKinDocumentsCipher })

// view opens a request's details for the graph.
func (s *Service) view(r *ent.PrivacyRequest) (*Request, error) {
	details, err := s.open(r.DetailsCipher, detailsColumn)
	if err != nil {
		return nil, err
	}
	v := &Request{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Requester: r.Requester, Status: r.Status,
		Details: details, CreatedAt: r.CreatedAt, DueAt: r.DueAt, AnsweredAt: r.AnsweredAt}
	if r.Answer != "" {
		v.Answer = &r.Answer
	}
	return v, nil
}

func (s *Service) open(sealed *[]byte, column string) (*string, error) {
	if sealed == nil || len(*sealed) == 0 { // ent scans NULL as a pointer to nil
		return nil, nil
	}
	p, err := s.keys.Ring.Open(*sealed, column)
	if err != nil {
		return nil, err
	}
	str := string(p)
	return &str, nil
}

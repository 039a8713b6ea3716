package rights

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/sensitiveaccess"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/imageformat"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/infra/ratelimit"
	"github.com/tongxue/tongxue/internal/infra/reqinfo"
)

// Documents a next of kin sends: their ID, the death certificate, proof of
// kinship (and the deceased's ID). Four files of 5 MB fit the server's
// 24 MB limit on a multipart request.
const (
	MaxDocuments     = 4
	MaxDocumentBytes = 5 << 20
	PDF              = "application/pdf"
)

// ruleKinPerIP bounds anonymous kin requests from one client. Each is a
// staff review with sealed files, so a handful a day is plenty.
var ruleKinPerIP = ratelimit.Rule{Name: "kin:ip:1d", Limit: 5, Window: 24 * time.Hour}

// kinKinds are the rights a next of kin may exercise (R7; policy §4(7)).
var kinKinds = map[privacyrequest.Kind]bool{privacyrequest.KindACCESS: true, privacyrequest.KindCOPY: true,
	privacyrequest.KindCORRECT: true, privacyrequest.KindDELETE: true}

// KinInput is a next of kin's request about a deceased user.
type KinInput struct {
	Kind          privacyrequest.Kind
	DeceasedPhone string
	KinName       string
	KinContact    string // a mainland mobile number
	KinRelation   string
	Details       *string
	Documents     [][]byte
}

// Document is one file of a kin request, for staff review.
type Document struct {
	Type string `json:"type"` // image/jpeg, image/png or application/pdf
	Data []byte `json:"data"`
}

// SubmitKin files a next of kin's request (R7). The caller is anonymous.
// The answer is the same whether or not the number has an account: the
// staff find out, the caller does not.
func (s *Service) SubmitKin(ctx context.Context, in KinInput) (*Request, error) {
	k, err := checkKin(in)
	if err != nil {
		return nil, err
	}
	ip := s.keys.Index.Hash("ip", reqinfo.FromContext(ctx).ClientIP) // an unknown IP shares one bucket
	if err := s.limiter.Allow(ctx, ruleKinPerIP, ip); err != nil {
		return nil, err
	}
	ids, err := s.client.User.Query().Where(user.PhoneHash(s.keys.Index.Hash("phone", k.deceased))).IDs(ctx)
	if err != nil {
		return nil, err
	}
	var subject *int
	if len(ids) == 1 {
		subject = &ids[0]
	}
	docs, err := json.Marshal(k.docs)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ring := s.keys.Ring
	c := s.client.PrivacyRequest.Create().SetNillableUserID(subject).SetKind(in.Kind).
		SetRequester(privacyrequest.RequesterNEXT_OF_KIN).SetCreatedAt(now).SetDueAt(s.dueAt(ctx, now)).
		SetKinNameCipher(ring.Seal([]byte(k.name), kinNameColumn)).
		SetKinContactCipher(ring.Seal([]byte(k.contact), kinContactColumn)).
		SetKinRelation(k.relation).SetKinDocumentsCipher(ring.Seal(docs, documentsColumn))
	if k.details != "" {
		c.SetDetailsCipher(ring.Seal([]byte(k.details), detailsColumn))
	}
	r, err := c.Save(ctx)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "privacy request", "id", r.ID, "kind", r.Kind, "requester", r.Requester)
	return s.view(r)
}

type kinRequest struct {
	deceased, name, contact, relation, details string
	docs                                       []Document
}

// checkKin validates a kin request without looking anything up, so a
// refusal never depends on whether the number has an account.
func checkKin(in KinInput) (*kinRequest, error) {
	if !kinKinds[in.Kind] {
		return nil, apperr.BadField("kind", "a next of kin may ask for access, a copy, a correction or deletion")
	}
	var k kinRequest
	var err error
	if k.deceased, err = phone.Normalize(in.DeceasedPhone); err != nil {
		return nil, apperr.BadField("deceasedPhone", "%s", err.Error())
	}
	if k.contact, err = phone.Normalize(in.KinContact); err != nil {
		return nil, apperr.BadField("kinContact", "%s", err.Error())
	}
	k.name, k.relation = strings.TrimSpace(in.KinName), strings.TrimSpace(in.KinRelation)
	if n := utf8.RuneCountInString(k.name); n < 1 || n > 50 {
		return nil, apperr.BadField("kinName", "a name has 1 to 50 characters")
	}
	if n := utf8.RuneCountInString(k.relation); n < 1 || n > 32 {
		return nil, apperr.BadField("kinRelation", "say how you are related, in 1 to 32 characters")
	}
	if k.details, err = cleanDetails(in.Details); err != nil {
		return nil, err
	}
	if len(in.Documents) < 1 || len(in.Documents) > MaxDocuments {
		return nil, apperr.BadField("documents", "send 1 to %d files: your ID, the death certificate and proof of kinship",
			MaxDocuments)
	}
	for i, b := range in.Documents {
		if len(b) > MaxDocumentBytes {
			return nil, apperr.BadField("documents", "file %d is over %d MB", i+1, MaxDocumentBytes>>20)
		}
		t := documentType(b)
		if t == "" {
			return nil, apperr.BadField("documents", "file %d is not a JPEG, PNG or PDF", i+1)
		}
		k.docs = append(k.docs, Document{Type: t, Data: b})
	}
	return &k, nil
}

// documentType tells the format from the bytes, never from a name or a
// declared type.
func documentType(b []byte) string {
	if t := imageformat.Detect(b); t != "" {
		return t
	}
	if bytes.HasPrefix(b, []byte("%PDF-")) {
		return PDF
	}
	return ""
}

// Documents opens a kin request's files for staff review; nil once the
// request was answered or refused (they are deleted then).
func (s *Service) Documents(ctx context.Context, staff *auth.Viewer, id int) ([]Document, error) {
	if err := requireStaff(staff); err != nil {
		return nil, err
	}
	r, err := s.client.PrivacyRequest.Query().Where(privacyrequest.ID(id)).
		Select(privacyrequest.FieldKinDocumentsCipher, privacyrequest.FieldUserID).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("privacy request")
	}
	if err != nil || r.KinDocumentsCipher == nil || len(*r.KinDocumentsCipher) == 0 {
		return nil, err
	}
	plain, err := s.keys.Ring.Open(*r.KinDocumentsCipher, documentsColumn)
	if err != nil {
		return nil, err
	}
	var docs []Document
	if err := json.Unmarshal(plain, &docs); err != nil {
		return nil, err
	}
	// Every opening is in the reveal audit of the user the request is about
	// (their mySensitiveDataAccess shows it), and in the log.
	if r.UserID != nil {
		err = s.client.SensitiveAccess.Create().SetActorID(staff.UserID).
			SetActorRole(sensitiveaccess.ActorRole(staff.Role)).SetSubjectID(*r.UserID).
			SetField("PrivacyRequest.kinDocuments").SetReason("review of a next-of-kin request").
			SetCreatedAt(s.now()).Exec(ctx)
		if err != nil {
			return nil, err
		}
	}
	s.log.InfoContext(ctx, "kin documents opened", "staff_id", staff.UserID, "request_id", id)
	return docs, nil
}

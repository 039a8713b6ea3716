// Package feedback takes users' messages to the platform with a contact to
// answer on (X3). The contact is sealed at rest and shown masked.
package feedback

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Columns double as the AEAD associated data of their sealed values.
const (
	phoneColumn = "feedbacks.contact_phone_cipher"
	emailColumn = "feedbacks.contact_email_cipher"
)

// Service stores feedback.
type Service struct {
	client *ent.Client
	ring   *vault.Keyring
	now    func() time.Time
}

// New returns the service.
func New(client *ent.Client, ring *vault.Keyring, now func() time.Time) *Service {
	return &Service{client: client, ring: ring, now: now}
}

// View is a message with its contacts opened, for the graph (which masks
// them). Opening them while listing keeps each contact a plain field.
type View struct {
	ID, UserID                 int
	Text                       string
	ContactPhone, ContactEmail *string
	CreatedAt                  time.Time
}

// OwnerID is the author, for @mask reveals.
func (v *View) OwnerID() int { return v.UserID }

// Input is one message.
type Input struct {
	Text                       string
	ContactPhone, ContactEmail *string
}

// Submit stores a message from userID; one contact is required.
func (s *Service) Submit(ctx context.Context, userID int, in Input) (*View, error) {
	text := strings.TrimSpace(in.Text)
	if n := utf8.RuneCountInString(text); n < 1 || n > 2000 {
		return nil, apperr.BadField("text", "feedback has 1 to 2000 characters")
	}
	c := s.client.Feedback.Create().SetUserID(userID).SetText(text).SetCreatedAt(s.now())
	has := false
	if in.ContactPhone != nil && strings.TrimSpace(*in.ContactPhone) != "" {
		p, err := phone.Normalize(*in.ContactPhone)
		if err != nil {
			return nil, apperr.BadField("contactPhone", "%s", err.Error())
		}
		c.SetContactPhoneCipher(s.ring.Seal([]byte(p), phoneColumn))
		has = true
	}
	if in.ContactEmail != nil && strings.TrimSpace(*in.ContactEmail) != "" {
		a, err := mail.ParseAddress(strings.TrimSpace(*in.ContactEmail))
		if err != nil || a.Name != "" || len(a.Address) > 254 {
			return nil, apperr.BadField("contactEmail", "enter an email address like name@example.com")
		}
		c.SetContactEmailCipher(s.ring.Seal([]byte(a.Address), emailColumn))
		has = true
	}
	if !has {
		return nil, apperr.BadField("contactPhone", "give a phone number or an email to answer on")
	}
	f, err := c.Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.view(f)
}

// Mine lists a user's feedback, newest first.
func (s *Service) Mine(ctx context.Context, userID, limit int) ([]*View, error) {
	fs, err := s.client.Feedback.Query().Where(feedback.UserID(userID)).
		Order(ent.Desc(feedback.FieldCreatedAt), ent.Desc(feedback.FieldID)).
		Limit(paging.Clamp(limit)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*View, len(fs))
	for i, f := range fs {
		if out[i], err = s.view(f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) view(f *ent.Feedback) (*View, error) {
	v := &View{ID: f.ID, UserID: f.UserID, Text: f.Text, CreatedAt: f.CreatedAt}
	var err error
	if v.ContactPhone, err = s.open(f.ContactPhoneCipher, phoneColumn); err != nil {
		return nil, err
	}
	v.ContactEmail, err = s.open(f.ContactEmailCipher, emailColumn)
	return v, err
}

func (s *Service) open(sealed *[]byte, column string) (*string, error) {
	if sealed == nil || len(*sealed) == 0 { // ent scans NULL as a pointer to nil
		return nil, nil
	}
	p, err := s.ring.Open(*sealed, column)
	if err != nil {
		return nil, err
	}
	str := string(p)
	return &str, nil
}

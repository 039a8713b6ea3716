package rights

import (
	"context"
	"log/slog"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/infra/ratelimit"
	"github.com/tongxue/tongxue/internal/infra/vault"
	"github.com/tongxue/tongxue/internal/infra/workday"
)

// The policy's promise (§4, §10): every request is answered within 15
// working days.
const AnswerWithinWorkingDays = 15

// closingHour ends the last day of the period: the privacy contact works
// 9:00–18:00, and a period with business hours ends when business stops
// (民法典第二百零三条), not at midnight.
const closingHour = 18

// Columns double as the AEAD associated data of their sealed values.
const (
	detailsColumn    = "privacy_requests.details_cipher"
	kinNameColumn    = "privacy_requests.kin_name_cipher"
	kinContactColumn = "privacy_requests.kin_contact_cipher"
	documentsColumn  = "privacy_requests.kin_documents_cipher"
)

// Service takes requests to exercise a right and tracks them to their answer.
type Service struct {
	client  *ent.Client
	keys    vault.Keys
	cal     *workday.Calendar
	limiter *ratelimit.Limiter
	now     func() time.Time
	log     *slog.Logger
}

// Deps are what the service is built from.
type Deps struct {
	Client *ent.Client
	Keys   vault.Keys
	Now    func() time.Time // time.Now outside tests
	Log    *slog.Logger
	// Calendar counts working days; nil: workday.China().
	Calendar *workday.Calendar
}

// New wires the service.
func New(d Deps) *Service {
	cal := d.Calendar
	if cal == nil {
		cal = workday.China()
	}
	return &Service{client: d.Client, keys: d.Keys, cal: cal, limiter: ratelimit.New(d.Client, d.Now),
		now: d.Now, log: d.Log}
}

// dueAt is the end of the 15th working day after the day a request
// arrives (the day of arrival itself is not counted: see workday).
func (s *Service) dueAt(ctx context.Context, arrived time.Time) time.Time {
	day, known := s.cal.AddWorkdays(arrived, AnswerWithinWorkingDays)
	if !known {
		s.log.WarnContext(ctx, "working-day calendar does not cover a due date: counted Monday to Friday; "+
			"add the State Council holiday notice to internal/infra/workday/cn-holidays.txt",
			"from_year", arrived.Year(), "due_year", day.Year(), "covered", s.cal.Years())
	}
	return day.Add(closingHour * time.Hour)
}

// Contact is the privacy contact of the policy (§10).
type Contact struct {
	Email, Address, Hours   string
	AnswerWithinWorkingDays int
}

// The contact as privacy-policy.zh.md states it: its §10 names the email
// and the online service's hours, the preamble the registered address.
// They change only with the policy.
const (
	contactEmail   = "privacy@lexin.com"
	contactAddress = "深圳市南山区粤海街道高新区社区科苑南路 3099 号中国储能大厦 23F"
	contactHours   = "在线客服 每日 9:00–18:00"
)

// Contact returns the privacy contact.
func (s *Service) Contact() Contact {
	return Contact{Email: contactEmail, Address: contactAddress, Hours: contactHours,
		AnswerWithinWorkingDays: AnswerWithinWorkingDays}
}

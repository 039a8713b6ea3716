package pii

import (
	"fmt"
	"strings"
	"time"
)

// Retention (§6 of the policy, T1) is declared once, beside the annotation
// of the column (Field.Retention) or of the table (Records) in ent/schema.
// The privacy catalogue prints it, and the retention runner
// (internal/domain/retention) reads the periods of the timed rules from the
// same values, so a period is written in one place.
//
//	Retention: pii.Keep{For: pii.Years(3), From: "closed_at", Then: pii.Delete, Basis: pii.ECommerceLaw}
//	Retention: pii.UntilAccountCancelled
//	Retention: pii.Until{{When: "the errand ends", By: "errands.Move"}}
//
// Rules are plain values: ent's code generator encodes annotations as JSON.
type Rule interface {
	// Text is the retention as the catalogue prints it.
	Text() string
	// Paths are what deletes or anonymises the data: the code or job, and when.
	Paths() []string
}

// Laws and reasons that set a period (Basis of a Keep).
const (
	// Transaction records at least 3 years from completion.
	ECommerceLaw = "《电子商务法》第三十一条 (transaction records at least 3 years from completion)"
	// Network logs at least 6 months.
	CybersecurityLaw = "《网络安全法》第二十一条 (network logs at least 6 months)"
	// Records of processing at least 3 years (sharing with third parties, sensitive data).
	PIPLRecords = "《个人信息保护法》第五十六条 (processing records at least 3 years)"
	// Claims lapse after 3 years: the proof of what the user agreed to is kept that long.
	LimitationPeriod = "《民法典》第一百八十八条 (3-year limitation period: proof for claims)"
	// Otherwise the shortest time the purpose needs.
	Necessity = "《个人信息保护法》第十九条 (the shortest time the purpose needs)"
)

// Period is a span of calendar time, added with time.AddDate (3 years from
// 29 February 2024 end on 1 March 2027).
type Period struct{ Years, Months, Days int }

// Years, Months and Days make periods.
func Years(n int) Period  { return Period{Years: n} }
func Months(n int) Period { return Period{Months: n} }
func Days(n int) Period   { return Period{Days: n} }

// After is when a period that starts at t ends.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// Cutoff is the start before which a period has ended at now.
func (p Period) Cutoff(now time.Time) time.Time { return now.AddDate(-p.Years, -p.Months, -p.Days) }

// IsZero reports an empty period.
func (p Period) IsZero() bool { return p == Period{} }

func (p Period) String() string {
	var parts []string
	for _, u := range []struct {
		n    int
		unit string
	}{{p.Years, "year"}, {p.Months, "month"}, {p.Days, "day"}} {
		switch {
		case u.n == 1:
			parts = append(parts, "1 "+u.unit)
		case u.n != 0:
			parts = append(parts, fmt.Sprintf("%d %ss", u.n, u.unit))
		}
	}
	if len(parts) == 0 {
		return "0 days"
	}
	return strings.Join(parts, " ")
}

// Action is what happens when a period ends.
type Action string

const (
	Delete Action = "deleted" // the row goes
	Erase  Action = "erased"  // the value is cleared, the row stays
)

// Ending is an event that ends the need for data, and the code that then
// deletes or anonymises it.
type Ending struct {
	When string // "the account is cancelled"
	By   string // the deletion path
}

// Endings several declarations share.
var (
	AccountCancelled = Ending{When: "the account is cancelled",
		By: "account cancellation (at the end of the cooling-off period, carried out by the retention runner)"}
	// Orders and errands outlive the account as records the law keeps:
	// without the name, phone and address of the person.
	AccountCancelledDeidentified = Ending{When: "the account is cancelled (the record is kept de-identified)",
		By: "account cancellation: erased, the record keeps a keyed pseudonym"}
	ChangedByOwner = Ending{When: "the user changes it", By: "the user's correction (overwritten)"}
)

// UntilAccountCancelled keeps data while the account exists.
var UntilAccountCancelled = Until{AccountCancelled}

// Until keeps data until the first of its endings.
type Until []Ending

// Text implements Rule.
func (u Until) Text() string { return "until " + whens(u) }

func whens(es []Ending) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.When
	}
	return strings.Join(out, ", or ")
}

// Paths implements Rule.
func (u Until) Paths() []string {
	out := make([]string, len(u))
	for i, e := range u {
		out[i] = e.By
	}
	return out
}

func (u Until) String() string { return u.Text() }

// Keep keeps data for a period from a column of its row (or of the row it
// belongs to, "users.cancelled_at"); then the retention runner acts on it
// (hourly, `tongxue retention`).
type Keep struct {
	For   Period
	From  string   // the column the period runs from
	Where string   // which rows, when not all: "COMPLETED, CANCELLED or REFUNDED"
	Then  Action   // what the runner does when the period has passed
	Basis string   // why this long: a law that sets it as a minimum, or Necessity
	Or    []Ending // what ends it sooner
}

// OrSooner is k ended sooner by more events.
func (k Keep) OrSooner(e ...Ending) Keep {
	k.Or = append(append([]Ending(nil), k.Or...), e...)
	return k
}

// Text implements Rule.
func (k Keep) Text() string {
	s := fmt.Sprintf("%s from `%s`", k.For, k.From)
	if k.Where != "" {
		s += " (" + k.Where + ")"
	}
	s += ", then " + string(k.Then)
	if k.Basis != "" {
		s += "; " + k.Basis
	}
	if len(k.Or) > 0 {
		s += "; sooner when " + whens(k.Or)
	}
	return s
}

// Paths implements Rule.
func (k Keep) Paths() []string {
	out := []string{fmt.Sprintf("retention runner (hourly): %s %s after `%s`", k.Then, k.For, k.From)}
	for _, e := range k.Or {
		out = append(out, e.By)
	}
	return out
}

func (k Keep) String() string { return k.Text() }

// RecordKind says why a table's rows are kept.
type RecordKind string

const (
	// Transaction records: kept as the E-Commerce Law requires.
	Transaction RecordKind = "transaction record"
	// Network and security logs: kept as the Cybersecurity Law requires.
	SecurityLog RecordKind = "security log"
	// Proof of what the user agreed to or was told (consents, the sharing
	// ledger): kept for as long as a claim could need it.
	Proof RecordKind = "proof"
	// Credentials and counters: not logs; deleted once they are of no use.
	Credential RecordKind = "credential"
)

// Records is the schema annotation of a table whose rows are records, logs
// or credentials about people without being personal fields themselves
// (who revealed what, to whom data went, sessions): its retention.
//
//	func (SensitiveAccess) Annotations() []schema.Annotation {
//		return append(skipGQL(), pii.Records{Kind: pii.SecurityLog, What: "...", Retention: pii.Keep{...}})
//	}
type Records struct {
	Kind      RecordKind
	What      string // what a row records
	Retention Rule
}

// Name implements ent's schema.Annotation.
func (Records) Name() string { return "PIIRecords" }

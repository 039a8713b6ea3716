package pii_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Periods are calendar spans: 3 years from 29 February end on 1 March, and
// Cutoff is After backwards.
func TestPeriodsAreCalendarSpans(t *testing.T) {
	leap := time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC)
	if got := pii.Years(3).After(leap); !got.Equal(time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("3 years after %s: %s", leap, got)
	}
	now := time.Date(2025, 9, 30, 8, 0, 0, 0, time.UTC)
	if got := pii.Months(6).Cutoff(now); !got.Equal(time.Date(2025, 3, 30, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("6 months before %s: %s", now, got)
	}
	for p, want := range map[pii.Period]string{pii.Years(3): "3 years", pii.Months(1): "1 month", pii.Days(7): "7 days",
		{Years: 1, Months: 6}: "1 year 6 months", {}: "0 days"} {
		if p.String() != want {
			t.Errorf("%#v reads %q, want %q", p, p.String(), want)
		}
	}
}

// A rule reads as a sentence and names what carries it out.
func TestRulesReadAsSentences(t *testing.T) {
	k := pii.Keep{For: pii.Years(3), From: "closed_at", Then: pii.Delete, Basis: pii.ECommerceLaw}.
		OrSooner(pii.AccountCancelledDeidentified)
	if got := k.Text(); !strings.HasPrefix(got, "3 years from `closed_at`, then deleted; 《电子商务法》") ||
		!strings.Contains(got, "; sooner when the account is cancelled") {
		t.Fatalf("keep reads %q", got)
	}
	if p := k.Paths(); len(p) != 2 || !strings.HasPrefix(p[0], "retention runner") || p[1] != pii.AccountCancelledDeidentified.By {
		t.Fatalf("keep paths %q", p)
	}
	u := pii.Until{pii.ChangedByOwner, pii.AccountCancelled}
	if u.Text() != "until the user changes it, or the account is cancelled" || len(u.Paths()) != 2 {
		t.Fatalf("until reads %q, paths %q", u.Text(), u.Paths())
	}
}

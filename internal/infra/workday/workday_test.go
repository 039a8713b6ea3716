package workday_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
	"github.com/tongxue/tongxue/internal/infra/workday"
)

// cst is a moment in China Standard Time.
func cst(date string, hour int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, date, chinatime.Zone)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour) * time.Hour)
}

func TestEmbeddedFileParsesAndNamesItsSources(t *testing.T) {
	c := workday.China()
	if got := c.Years(); len(got) < 2 || got[0] != 2025 || got[1] != 2026 {
		t.Fatalf("years = %v, want 2025 and 2026 at least", got)
	}
	for _, y := range c.Years() {
		if src := c.Source(y); !strings.Contains(src, "国务院办公厅关于") || !strings.Contains(src, "部分节假日安排的通知") {
			t.Errorf("year %d: source %q does not name the State Council notice", y, src)
		}
	}
	if !strings.Contains(c.Source(2025), "国办发明电〔2024〕12号") {
		t.Errorf("2025 source %q lacks the notice's number", c.Source(2025))
	}
}

// The days the 2025 and 2026 notices name, and ordinary days around them.
func TestIsWorkdayFollowsTheNotices(t *testing.T) {
	cases := []struct {
		date string
		work bool
		why  string
	}{
		{"2025-01-01", false, "元旦 (a Wednesday)"},
		{"2025-01-24", true, "an ordinary Friday"},
		{"2025-01-25", false, "an ordinary Saturday"},
		{"2025-01-26", true, "Sunday worked before the Spring Festival"},
		{"2025-01-27", true, "Monday before the Spring Festival"},
		{"2025-01-28", false, "除夕, first day of the Spring Festival"},
		{"2025-01-31", false, "Spring Festival, a Friday"},
		{"2025-02-04", false, "正月初七, last day of the Spring Festival"},
		{"2025-02-05", true, "first day back"},
		{"2025-02-08", true, "Saturday worked after the Spring Festival"},
		{"2025-02-09", false, "an ordinary Sunday"},
		{"2025-04-27", true, "Sunday worked before Labour Day"},
		{"2025-05-05", false, "Labour Day, a Monday"},
		{"2025-06-02", false, "Dragon Boat Festival, a Monday"},
		{"2025-09-28", true, "Sunday worked before National Day"},
		{"2025-09-30", true, "an ordinary Tuesday"},
		{"2025-10-01", false, "National Day"},
		{"2025-10-06", false, "National Day and Mid-Autumn, a Monday"},
		{"2025-10-08", false, "last day of National Day, a Wednesday"},
		{"2025-10-09", true, "first day back"},
		{"2025-10-11", true, "Saturday worked after National Day"},
		{"2025-10-12", false, "an ordinary Sunday"},
		{"2026-01-02", false, "元旦 holiday, a Friday"},
		{"2026-01-04", true, "Sunday worked after 元旦"},
		{"2026-02-14", true, "Saturday worked before the Spring Festival"},
		{"2026-02-23", false, "正月初七, a Monday"},
		{"2026-02-28", true, "Saturday worked after the Spring Festival"},
		{"2026-09-25", false, "Mid-Autumn, a Friday"},
		{"2026-10-07", false, "National Day, a Wednesday"},
		{"2026-10-10", true, "Saturday worked after National Day"},
	}
	for _, tc := range cases {
		for _, hour := range []int{0, 9, 23} {
			work, known := workday.IsWorkday(cst(tc.date, hour))
			if work != tc.work || !known {
				t.Errorf("%s %02d:00 (%s): work %v known %v, want work %v known", tc.date, hour, tc.why, work, known, tc.work)
			}
		}
	}
}

// Due dates of 15 working days across the long holidays: the day of
// arrival is never counted, whatever its hour or kind.
func TestAddWorkdaysAcrossHolidays(t *testing.T) {
	cases := []struct {
		name    string
		arrival time.Time
		n       int
		want    string
	}{
		{"Spring Festival 2025 from Friday before it", cst("2025-01-24", 10), 15, "2025-02-20"},
		// 27 Sep (Sat, rest), 28 Sep (Sun, worked) = 1, 29, 30, holiday to 8 Oct,
		// 9, 10, 11 (Sat, worked) = 6, 13–17, 20–23 = 15.
		{"National Day 2025 from Friday before it", cst("2025-09-26", 10), 15, "2025-10-23"},
		{"arriving at night counts from the same next day", cst("2025-09-26", 23), 15, "2025-10-23"},
		{"arriving on the holiday counts from the first day back", cst("2025-10-03", 10), 15, "2025-10-28"},
		{"a Sunday worked is a working day", cst("2025-01-24", 10), 1, "2025-01-26"},
		{"a Saturday worked is a working day", cst("2025-02-07", 10), 1, "2025-02-08"},
		{"one working day over the Spring Festival", cst("2025-01-27", 10), 1, "2025-02-05"},
		{"zero is the day itself", cst("2025-10-03", 10), 0, "2025-10-03"},
		{"counting back over National Day", cst("2025-10-09", 10), -2, "2025-09-29"},
		{"Spring Festival 2026", cst("2026-02-13", 17), 15, "2026-03-12"},
		// UTC 17:00 on 26 Jan is 01:00 on 27 Jan in China: counting starts on 28 Jan.
		{"the date is China's, not UTC's", time.Date(2025, 1, 26, 17, 0, 0, 0, time.UTC), 1, "2025-02-05"},
	}
	for _, tc := range cases {
		got, known := workday.AddWorkdays(tc.arrival, tc.n)
		if !known {
			t.Errorf("%s: not covered", tc.name)
		}
		if want := cst(tc.want, 0); !got.Equal(want) || got.Location() != chinatime.Zone {
			t.Errorf("%s: %s, want %s", tc.name, got, want)
		}
		if between, _ := workday.WorkdaysBetween(tc.arrival, got); between != tc.n {
			t.Errorf("%s: %d working days between arrival and due date, want %d", tc.name, between, tc.n)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	cases := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"same day", cst("2025-10-09", 9), cst("2025-10-09", 18), 0},
		{"over the whole National Day holiday", cst("2025-09-30", 9), cst("2025-10-08", 9), 0},
		{"the day after it", cst("2025-09-30", 9), cst("2025-10-09", 9), 1},
		{"late by the working days between", cst("2025-10-23", 18), cst("2025-10-13", 18), -8},
		// By hand from the notices: 261 weekdays, 18 of them off, 5 weekend days worked.
		{"all of 2025", cst("2024-12-31", 12), cst("2025-12-31", 12), 248},
		// 261 weekdays, 19 of them off, 6 weekend days worked.
		{"all of 2026", cst("2025-12-31", 12), cst("2026-12-31", 12), 248},
	}
	for _, tc := range cases {
		got, known := workday.WorkdaysBetween(tc.a, tc.b)
		if got != tc.want || !known {
			t.Errorf("%s: %d known %v, want %d known", tc.name, got, known, tc.want)
		}
	}
}

// Outside the years of the file: Monday to Friday, and said so.
func TestUncoveredYearsFallBackToWeekdaysVisibly(t *testing.T) {
	if work, known := workday.IsWorkday(cst("2024-10-01", 10)); !work || known {
		t.Errorf("2024-10-01 (a Tuesday, not in the file): work %v known %v, want a weekday not known", work, known)
	}
	if work, known := workday.IsWorkday(cst("2027-01-02", 10)); work || known {
		t.Errorf("2027-01-02 (a Saturday, not in the file): work %v known %v", work, known)
	}
	// From 21 Dec 2026 fifteen weekdays reach into January 2027.
	due, known := workday.AddWorkdays(cst("2026-12-21", 10), 15)
	if known {
		t.Errorf("a due date in 2027 claims to be known")
	}
	if want := cst("2027-01-11", 0); !due.Equal(want) {
		t.Errorf("fallback due date %s, want %s (Monday to Friday)", due, want)
	}
	if _, known := workday.WorkdaysBetween(cst("2026-12-30", 10), cst("2027-01-04", 10)); known {
		t.Errorf("a count into 2027 claims to be known")
	}
	if _, known := workday.AddWorkdays(cst("2026-12-01", 10), 15); !known {
		t.Errorf("a due date within 2026 is not known")
	}
}

func TestParseRefusesWhatANoticeCannotSay(t *testing.T) {
	const head = "year 2025 国务院办公厅关于2025年部分节假日安排的通知\n"
	cases := []struct{ name, text, want string }{
		{"no year", "", "no year"},
		{"year without its source", "year 2025\n", "names the notice"},
		{"year twice", head + head, "twice"},
		{"undeclared year", head + "off 2024-10-01 国庆节\n", "declare year 2024"},
		{"undeclared year at a range's end", head + "off 2025-12-31 2026-01-01 元旦\n", "declare year 2026"},
		{"make-up day on a weekday", head + "work 2025-01-27 春节调休上班\n", "not a Saturday or Sunday"},
		{"day both off and worked", head + "off 2025-01-26 春节\nwork 2025-01-26 春节调休上班\n", "listed twice"},
		{"overlapping holidays", head + "off 2025-10-01 2025-10-08 国庆节\noff 2025-10-06 中秋节\n", "listed twice"},
		{"backward range", head + "off 2025-10-08 2025-10-01 国庆节\n", "range"},
		{"unnamed holiday", head + "off 2025-10-01 2025-10-08\n", "no name"},
		{"bad date", head + "off 2025-02-30 春节\n", "date"},
		{"unknown line", head + "holiday 2025-10-01 国庆节\n", "unknown"},
	}
	for _, tc := range cases {
		_, err := workday.Parse(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	c, err := workday.Parse(head + "off 2025-01-28 2025-02-04 春节\nwork 2025-01-26 春节调休上班\n")
	if err != nil {
		t.Fatal(err)
	}
	if work, known := c.IsWorkday(cst("2025-01-26", 9)); !work || !known {
		t.Errorf("a parsed make-up day: work %v known %v", work, known)
	}
}

// Package workday is the mainland China working-day calendar: weekends, the
// public holidays (放假) and the official make-up working days (调休上班) of
// the State Council General Office's yearly notices, kept in cn-holidays.txt
// with each year's source. Dates are China Standard Time (chinatime.Zone).
//
// Periods are counted as the Civil Code counts them (民法典第二百零一条):
// the day something arrives is not counted, day 1 is the first working day
// after it. So a request arriving on a holiday, at night or in office hours
// on the same date all fall due on the same day.
//
// A day in a year the file does not list is counted Monday to Friday: every
// answer says whether all the days it looked at were covered (known), so a
// caller can log that the calendar needs the next year's notice rather than
// be silently wrong.
package workday

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

//go:embed cn-holidays.txt
var data string

// Calendar is a parsed holiday file.
type Calendar struct {
	sources map[int]string // year covered → the notice it comes from
	off     map[day]string // holiday → its name
	work    map[day]string // make-up working day → its name
}

// day is a calendar date in China Standard Time, as days since 1970-01-01.
type day int64

func dayOf(t time.Time) day {
	y, m, d := t.In(chinatime.Zone).Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// start is the day's midnight in China Standard Time.
func (d day) start() time.Time {
	u := time.Unix(int64(d)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, chinatime.Zone)
}

func (d day) year() int { return time.Unix(int64(d)*86400, 0).UTC().Year() }

func (d day) weekend() bool {
	wd := time.Unix(int64(d)*86400, 0).UTC().Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// isWorkday answers for one day and whether the file covers it.
func (c *Calendar) isWorkday(d day) (work, known bool) {
	if _, ok := c.sources[d.year()]; !ok {
		return !d.weekend(), false
	}
	if _, ok := c.off[d]; ok {
		return false, true
	}
	if _, ok := c.work[d]; ok {
		return true, true
	}
	return !d.weekend(), true
}

// IsWorkday reports whether the date of t (in China Standard Time) is a
// working day, and whether the file covers its year.
func (c *Calendar) IsWorkday(t time.Time) (work, known bool) { return c.isWorkday(dayOf(t)) }

// AddWorkdays returns the midnight (China Standard Time) that starts the
// n-th working day after the date of t: the date of t itself is never
// counted, whatever it is or whatever the hour. n = 0 gives the date of t;
// a negative n counts back. known is false when a day looked at lies in a
// year the file does not cover.
func (c *Calendar) AddWorkdays(t time.Time, n int) (due time.Time, known bool) {
	d, known := dayOf(t), true
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d += day(step)
		w, k := c.isWorkday(d)
		known = known && k
		if w {
			n--
		}
	}
	return d.start(), known
}

// WorkdaysBetween counts the working days after the date of a up to and
// including the date of b; negative when b is before a. So
// WorkdaysBetween(t, AddWorkdays(t, n)) is n, and a deadline falling today
// has 0 working days left.
func (c *Calendar) WorkdaysBetween(a, b time.Time) (n int, known bool) {
	da, db := dayOf(a), dayOf(b)
	sign := 1
	if db < da {
		da, db, sign = db, da, -1
	}
	known = true
	for d := da + 1; d <= db; d++ {
		w, k := c.isWorkday(d)
		known = known && k
		if w {
			n++
		}
	}
	return sign * n, known
}

// Years lists the years the file covers, in order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.sources))
	for y := range c.sources {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Source is the notice a covered year comes from ("" when not covered).
func (c *Calendar) Source(year int) string { return c.sources[year] }

// China is the calendar of cn-holidays.txt. The file is part of the
// program: a mistake in it is a build fault, caught by the package's tests.
var China = sync.OnceValue(func() *Calendar {
	c, err := Parse(data)
	if err != nil {
		panic(fmt.Sprintf("workday: cn-holidays.txt: %v", err))
	}
	return c
})

// IsWorkday is China().IsWorkday.
func IsWorkday(t time.Time) (work, known bool) { return China().IsWorkday(t) }

// AddWorkdays is China().AddWorkdays.
func AddWorkdays(t time.Time, n int) (time.Time, bool) { return China().AddWorkdays(t, n) }

// WorkdaysBetween is China().WorkdaysBetween.
func WorkdaysBetween(a, b time.Time) (int, bool) { return China().WorkdaysBetween(a, b) }

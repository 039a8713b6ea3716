package workday

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxHoliday bounds one off range: the longest holiday of the notices is
// 9 days, so a longer range is a typing mistake.
const maxHoliday = 15

// Parse reads a holiday file (the format is described at the top of
// cn-holidays.txt). It refuses what a notice cannot say: a make-up working
// day that is not a Saturday or Sunday, a day both off and worked, a date in
// a year not declared with its source.
func Parse(text string) (*Calendar, error) {
	c := &Calendar{sources: map[int]string{}, off: map[day]string{}, work: map[day]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := c.parseLine(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(c.sources) == 0 {
		return nil, fmt.Errorf("no year declared")
	}
	return c, nil
}

func (c *Calendar) parseLine(line string) error {
	f := strings.Fields(line)
	switch f[0] {
	case "year":
		if len(f) < 3 {
			return fmt.Errorf("a year line names the notice it comes from")
		}
		y, err := strconv.Atoi(f[1])
		if err != nil || y < 2000 || y > 2200 {
			return fmt.Errorf("year %q", f[1])
		}
		if _, dup := c.sources[y]; dup {
			return fmt.Errorf("year %d declared twice", y)
		}
		c.sources[y] = strings.Join(f[2:], " ")
		return nil
	case "off":
		if len(f) < 3 {
			return fmt.Errorf("an off line is a date or a range, then the holiday's name")
		}
		from, err := c.date(f[1])
		if err != nil {
			return err
		}
		to, name := from, f[2:]
		if _, err := time.Parse(time.DateOnly, f[2]); err == nil { // a range
			if to, err = c.date(f[2]); err != nil {
				return err
			}
			name = f[3:]
		}
		if len(name) == 0 {
			return fmt.Errorf("the holiday has no name")
		}
		if to < from || to-from >= maxHoliday || to.year() != from.year() {
			return fmt.Errorf("range %s %s", f[1], f[2])
		}
		for d := from; d <= to; d++ {
			if err := c.mark(c.off, d, strings.Join(name, " ")); err != nil {
				return err
			}
		}
		return nil
	case "work":
		if len(f) < 3 {
			return fmt.Errorf("a work line is a date, then its name")
		}
		d, err := c.date(f[1])
		if err != nil {
			return err
		}
		if !d.weekend() {
			return fmt.Errorf("%s is a make-up working day but not a Saturday or Sunday", f[1])
		}
		return c.mark(c.work, d, strings.Join(f[2:], " "))
	}
	return fmt.Errorf("unknown line kind %q", f[0])
}

// date reads YYYY-MM-DD of a declared year.
func (c *Calendar) date(s string) (day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("date %q: %w", s, err)
	}
	if _, ok := c.sources[t.Year()]; !ok {
		return 0, fmt.Errorf("date %s: declare year %d with its notice first", s, t.Year())
	}
	return day(t.Unix() / 86400), nil
}

func (c *Calendar) mark(set map[day]string, d day, name string) error {
	_, isOff := c.off[d]
	_, isWork := c.work[d]
	if isOff || isWork {
		return fmt.Errorf("%s is listed twice", d.start().Format(time.DateOnly))
	}
	set[d] = name
	return nil
}

// Package idcard validates mainland China resident identity card numbers
// (居民身份证号码, GB 11643-1999): six digits of region, eight of birth date,
// three of sequence (the last one odd for men, even for women) and a check
// character computed with ISO 7064 MOD 11-2.
//
// An ID number is personal data: no error of this package repeats it, and
// callers must not log it either (see package mask for its masked form).
package idcard

import (
	"fmt"
	"strings"
	"time"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// Length is the number of characters of a resident ID number. The 15-digit
// numbers issued before 1999 are no longer valid and are refused.
const Length = 18

// The errors of Validate, in the order it checks. Each is an *apperr.Error
// the graph may show as it is (BAD_USER_INPUT, or AGE_RESTRICTED for
// ErrUnderage); compare with errors.Is. None repeats the number.
var (
	ErrFormat = apperr.BadInput(
		"enter an 18-character resident ID number: 17 digits followed by a digit or X")
	ErrRegion = apperr.BadInput(
		"the ID number does not start with a valid region code")
	ErrBirthDate = apperr.BadInput(
		"the ID number does not contain a valid date of birth")
	ErrCheckDigit = apperr.BadInput(
		"the ID number's last character does not match the others: check it for typing errors")
	ErrUnderage = apperr.New(apperr.CodeAgeRestricted,
		"the ID number's holder is under the minimum age")
)

// Info is what an ID number says about its holder.
type Info struct {
	// BirthDate is the calendar date of birth, at midnight UTC: read it with
	// Year, Month and Day (or Format("2006-01-02")), not as an instant.
	BirthDate time.Time
	Female    bool
	Region    string // the first 6 digits: the administrative division of first registration
}

// weights of the first 17 digits; checkChars is indexed by the weighted sum mod 11.
var weights = [Length - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// provinces are the first two digits of the province-level divisions; 71
// (Taiwan), 81 (Hong Kong), 82 (Macao), 83 (residence permits for Hong Kong,
// Macao and Taiwan residents) and 91 (foreigners' permanent residence ID
// cards) are accepted too.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true, "91": true,
}

// Normalize trims surrounding white space (including the ideographic space)
// and upper-cases a trailing x. It changes nothing else.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "x") {
		s = s[:len(s)-1] + "X"
	}
	return s
}

// Validate checks a resident ID number, after Normalize, and that its holder
// is at least minAge years old on now, ages being counted in China's time
// zone (UTC+8); a holder born on 29 February comes of age on 1 March in
// common years. minAge 0 skips the age check. It checks format, region,
// birth date (a real date, not before 1900, not after today), check
// character and age, in that order, and returns the first error.
func Validate(id string, now time.Time, minAge int) (Info, error) {
	id = Normalize(id)
	if !wellFormed(id) {
		return Info{}, ErrFormat
	}
	if !provinces[id[:2]] {
		return Info{}, ErrRegion
	}
	birth, ok := birthDate(id[6:14])
	today := now.In(chinatime.Zone)
	if !ok || birth.Year() < 1900 || dateAfter(birth, today) {
		return Info{}, ErrBirthDate
	}
	if id[17] != checkChar(id[:17]) {
		return Info{}, ErrCheckDigit
	}
	if Age(birth, today) < minAge {
		return Info{}, ErrUnderage
	}
	return Info{
		BirthDate: birth,
		Female:    (id[16]-'0')%2 == 0,
		Region:    id[:6],
	}, nil
}

// Make builds a valid ID number from a 6-digit region code, a birth date
// (its own Year, Month and Day) and a sequence number 0-999 (odd for a man,
// even for a woman), computing the check character. It is meant for tests
// and demo data, and panics on a region that is not 6 digits, a birth year
// outside 0-9999 or a sequence outside 0-999. It checks nothing else: the
// region may be unknown and the date in the future.
func Make(region string, birth time.Time, seq int) string {
	if len(region) != 6 || !digits(region) {
		panic("idcard.Make: region must be 6 digits")
	}
	if birth.Year() < 0 || birth.Year() > 9999 {
		panic("idcard.Make: birth year out of range")
	}
	if seq < 0 || seq > 999 {
		panic("idcard.Make: sequence must be 0-999")
	}
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region, birth.Year(), int(birth.Month()), birth.Day(), seq)
	return body + string(checkChar(body))
}

// wellFormed reports 17 ASCII digits and a digit or X.
func wellFormed(id string) bool {
	if len(id) != Length || !digits(id[:17]) {
		return false
	}
	c := id[17]
	return (c >= '0' && c <= '9') || c == 'X'
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkChar computes the check character of 17 digits.
func checkChar(body string) byte {
	sum := 0
	for i := range weights {
		sum += int(body[i]-'0') * weights[i]
	}
	return checkChars[sum%11]
}

// birthDate parses YYYYMMDD, refusing dates that do not exist (20230229).
func birthDate(s string) (time.Time, bool) {
	y := atoi(s[0:4])
	m := atoi(s[4:6])
	d := atoi(s[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// dateAfter compares the calendar dates of a and b, each in its own zone.
func dateAfter(a, b time.Time) bool {
	if a.Year() != b.Year() {
		return a.Year() > b.Year()
	}
	if a.Month() != b.Month() {
		return a.Month() > b.Month()
	}
	return a.Day() > b.Day()
}

// Age is the completed years between birth (a calendar date) and now, as
// counted in China: the one age rule of the service (registration, ID
// numbers).
func Age(birth, now time.Time) int {
	today := now.In(chinatime.Zone)
	y := today.Year() - birth.Year()
	if today.Month() < birth.Month() || (today.Month() == birth.Month() && today.Day() < birth.Day()) {
		y--
	}
	return y
}

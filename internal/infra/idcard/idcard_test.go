package idcard_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
)

var chinaTime = time.FixedZone("UTC+8", 8*3600)

// now is 15 March 2026, 10:00 in China.
var now = time.Date(2026, 3, 15, 10, 0, 0, 0, chinaTime)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The well-known sample number of GB 11643-1999: a woman born on 31 December
// 1949 in Chaoyang district, Beijing.
const sample = "11010519491231002X"

var allErrors = []error{idcard.ErrFormat, idcard.ErrRegion, idcard.ErrBirthDate, idcard.ErrCheckDigit, idcard.ErrUnderage}

// assertNoNumber fails if an error message repeats the number or any six
// consecutive characters of it.
func assertNoNumber(t *testing.T, err error, id string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for i := 0; i+6 <= len(id); i++ {
		if strings.Contains(msg, id[i:i+6]) {
			t.Errorf("error %q repeats part of the number %q", msg, id)
			return
		}
	}
}

func TestValidateValid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		id     string
		birth  time.Time
		female bool
		region string
	}{
		{"GB sample", sample, date(1949, 12, 31), true, "110105"},
		{"GB sample lower-case x", "11010519491231002x", date(1949, 12, 31), true, "110105"},
		{"surrounding spaces", "  " + sample + "\t", date(1949, 12, 31), true, "110105"},
		{"ideographic space", "\u3000" + sample + "\u3000", date(1949, 12, 31), true, "110105"},
		{"made, male", idcard.Make("440305", date(2004, 9, 1), 123), date(2004, 9, 1), false, "440305"},
		{"made, female", idcard.Make("310104", date(2005, 1, 20), 246), date(2005, 1, 20), true, "310104"},
		{"made, sequence 0", idcard.Make("510107", date(2003, 6, 30), 0), date(2003, 6, 30), true, "510107"},
		{"made, sequence 999", idcard.Make("650102", date(2002, 11, 11), 999), date(2002, 11, 11), false, "650102"},
		{"leap day in a leap year", idcard.Make("330106", date(2008, 2, 29), 17), date(2008, 2, 29), false, "330106"},
		{"leap day 2000", idcard.Make("330106", date(2000, 2, 29), 18), date(2000, 2, 29), true, "330106"},
		{"first of 1900", idcard.Make("120101", date(1900, 1, 1), 1), date(1900, 1, 1), false, "120101"},
		{"Taiwan 71", idcard.Make("710000", date(1990, 5, 5), 3), date(1990, 5, 5), false, "710000"},
		{"Hong Kong 81", idcard.Make("810000", date(1990, 5, 5), 3), date(1990, 5, 5), false, "810000"},
		{"Macao 82", idcard.Make("820000", date(1990, 5, 5), 3), date(1990, 5, 5), false, "820000"},
		{"residence permit 83", idcard.Make("830000", date(1990, 5, 5), 4), date(1990, 5, 5), true, "830000"},
		{"permanent residence 91", idcard.Make("911100", date(1990, 5, 5), 4), date(1990, 5, 5), true, "911100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := idcard.Validate(tc.id, now, 16)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !info.BirthDate.Equal(tc.birth) || info.Female != tc.female || info.Region != tc.region {
				t.Fatalf("Validate = %+v; want birth %s, female %v, region %s",
					info, tc.birth.Format(time.DateOnly), tc.female, tc.region)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	valid := idcard.Make("110105", date(2001, 4, 8), 37)
	for _, tc := range []struct {
		name string
		id   string
		want error
	}{
		{"empty", "", idcard.ErrFormat},
		{"only spaces", "   ", idcard.ErrFormat},
		{"15-digit old format", "110105491231002", idcard.ErrFormat},
		{"17 characters", valid[:17], idcard.ErrFormat},
		{"19 characters", valid + "1", idcard.ErrFormat},
		{"letter inside", valid[:5] + "A" + valid[6:], idcard.ErrFormat},
		{"X inside", valid[:16] + "X" + valid[17:], idcard.ErrFormat},
		{"other final letter", valid[:17] + "Y", idcard.ErrFormat},
		{"lower-case x inside", "1101051949123100x2", idcard.ErrFormat},
		{"full-width digits", "１１０１０５１９４９１２３１００２X", idcard.ErrFormat},
		{"inner spaces", "110105 19491231 002X", idcard.ErrFormat},
		{"dashes", "110105-19491231-002X", idcard.ErrFormat},
		{"sign", "+1010519491231002X", idcard.ErrFormat},
		{"region 00", idcard.Make("000000", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 16", idcard.Make("160101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 24", idcard.Make("240101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 55", idcard.Make("550101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 70", idcard.Make("700101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 72", idcard.Make("720101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 84", idcard.Make("840101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 90", idcard.Make("900101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"region 99", idcard.Make("990101", date(2001, 4, 8), 37), idcard.ErrRegion},
		{"29 Feb in a common year", "110105" + "20030229" + "0371", idcard.ErrBirthDate},
		{"29 Feb 1900 (not a leap year)", "110105" + "19000229" + "0371", idcard.ErrBirthDate},
		{"month 13", "110105" + "20011301" + "0371", idcard.ErrBirthDate},
		{"month 00", "110105" + "20010001" + "0371", idcard.ErrBirthDate},
		{"day 00", "110105" + "20010400" + "0371", idcard.ErrBirthDate},
		{"31 April", "110105" + "20010431" + "0371", idcard.ErrBirthDate},
		{"before 1900", idcard.Make("110105", date(1899, 12, 31), 37), idcard.ErrBirthDate},
		{"year 0000", "110105" + "00000101" + "0371", idcard.ErrBirthDate},
		{"tomorrow", idcard.Make("110105", date(2026, 3, 16), 37), idcard.ErrBirthDate},
		{"next year", idcard.Make("110105", date(2027, 1, 1), 37), idcard.ErrBirthDate},
		{"far future", idcard.Make("110105", date(9999, 12, 31), 37), idcard.ErrBirthDate},
		{"wrong check character", valid[:17] + otherCheck(valid[17]), idcard.ErrCheckDigit},
		{"GB sample with check 0", "110105194912310020", idcard.ErrCheckDigit},
		{"15 years old", idcard.Make("110105", date(2011, 1, 1), 37), idcard.ErrUnderage},
		// The region is checked before the birth date, the birth date before the check character.
		{"bad region, date and check", "000000" + "20031301" + "0370", idcard.ErrRegion},
		{"bad date and check", "110105" + "20031301" + "0370", idcard.ErrBirthDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := idcard.Validate(tc.id, now, 16)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v; want %v", err, tc.want)
			}
			for _, other := range allErrors {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("Validate = %v matches %v too", err, other)
				}
			}
			assertNoNumber(t, err, idcard.Normalize(tc.id))
		})
	}
}

// otherCheck returns a check character different from c.
func otherCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// TestEverySingleDigitChangeIsCaught changes each of the first 17 digits of
// valid numbers to each other digit: MOD 11-2 catches every such change.
func TestEverySingleDigitChangeIsCaught(t *testing.T) {
	for _, valid := range []string{sample, idcard.Make("440305", date(2004, 9, 1), 123), idcard.Make("650102", date(1988, 2, 29), 998)} {
		for i := range 17 {
			for d := byte('0'); d <= '9'; d++ {
				if valid[i] == d {
					continue
				}
				changed := valid[:i] + string(d) + valid[i+1:]
				_, err := idcard.Validate(changed, now, 0)
				if !errors.Is(err, idcard.ErrCheckDigit) && !errors.Is(err, idcard.ErrRegion) && !errors.Is(err, idcard.ErrBirthDate) {
					t.Errorf("digit %d of a valid number changed to %c: Validate = %v", i+1, d, err)
				}
				assertNoNumber(t, err, changed)
			}
		}
		// Every other check character is refused.
		for _, c := range "0123456789X" {
			if byte(c) == valid[17] {
				continue
			}
			if _, err := idcard.Validate(valid[:17]+string(c), now, 0); !errors.Is(err, idcard.ErrCheckDigit) {
				t.Errorf("check character changed to %c: Validate = %v", c, err)
			}
		}
	}
}

// TestAdjacentTranspositionsAreCaught swaps each pair of neighbouring digits
// that differ: adjacent weights differ, so the sum changes mod 11.
func TestAdjacentTranspositionsAreCaught(t *testing.T) {
	valid := idcard.Make("320102", date(1997, 8, 26), 451)
	for i := range 16 {
		if valid[i] == valid[i+1] {
			continue
		}
		b := []byte(valid)
		b[i], b[i+1] = b[i+1], b[i]
		if _, err := idcard.Validate(string(b), now, 0); err == nil {
			t.Errorf("digits %d and %d swapped: Validate accepted it", i+1, i+2)
		}
	}
}

func TestLeapDay(t *testing.T) {
	for y := 1996; y <= 2010; y++ {
		leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
		id := "440106" + strconv.Itoa(y) + "0229" + "123"
		id += checkFor(id)
		_, err := idcard.Validate(id, now, 0)
		if leap && err != nil {
			t.Errorf("29 Feb %d: %v", y, err)
		}
		if !leap && !errors.Is(err, idcard.ErrBirthDate) {
			t.Errorf("29 Feb %d (common year): %v; want ErrBirthDate", y, err)
		}
	}
}

// checkFor computes the check character independently of the package.
func checkFor(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		sum += int(c-'0') * w[i]
	}
	return string("10X98765432"[sum%11])
}

func TestMakeAgreesWithTheStandard(t *testing.T) {
	if got := idcard.Make("110105", date(1949, 12, 31), 2); got != sample {
		t.Fatalf("Make = %q; want %q", got, sample)
	}
	for seq := range 1000 {
		id := idcard.Make("530102", date(1999, 7, 1), seq)
		if len(id) != idcard.Length || id[17:] != checkFor(id[:17]) {
			t.Fatalf("Make(seq %d) = %q", seq, id)
		}
		info, err := idcard.Validate(id, now, 0)
		if err != nil {
			t.Fatalf("Make(seq %d): Validate: %v", seq, err)
		}
		if info.Female != (seq%2 == 0) {
			t.Fatalf("Make(seq %d): Female = %v", seq, info.Female)
		}
	}
	// The birth date is read in the time's own zone.
	if got := idcard.Make("110105", time.Date(1949, 12, 31, 23, 0, 0, 0, chinaTime), 2); got != sample {
		t.Fatalf("Make(China time) = %q", got)
	}
}

func TestMakePanicsOnBadInput(t *testing.T) {
	for name, f := range map[string]func(){
		"short region":  func() { idcard.Make("11010", date(2000, 1, 1), 1) },
		"letter region": func() { idcard.Make("11010A", date(2000, 1, 1), 1) },
		"sequence 1000": func() { idcard.Make("110105", date(2000, 1, 1), 1000) },
		"sequence -1":   func() { idcard.Make("110105", date(2000, 1, 1), -1) },
		"year 10000":    func() { idcard.Make("110105", date(10000, 1, 1), 1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Make did not panic")
				}
			}()
			f()
		})
	}
}

func TestAge(t *testing.T) {
	sixteenToday := idcard.Make("110105", date(2010, 3, 15), 11)
	sixteenTomorrow := idcard.Make("110105", date(2010, 3, 16), 11)
	bornToday := idcard.Make("110105", date(2026, 3, 15), 11)
	leapling := idcard.Make("110105", date(2008, 2, 29), 11)

	for _, tc := range []struct {
		name   string
		id     string
		now    time.Time
		minAge int
		want   error
	}{
		{"16 today", sixteenToday, now, 16, nil},
		{"16 tomorrow", sixteenTomorrow, now, 16, idcard.ErrUnderage},
		{"16 tomorrow, minimum 15", sixteenTomorrow, now, 15, nil},
		// 00:30 in China on the birthday is still the 14th in UTC.
		{"16 today in China, not yet in UTC", sixteenToday, time.Date(2026, 3, 14, 16, 30, 0, 0, time.UTC), 16, nil},
		// 23:30 UTC on the 14th is already the 15th in China.
		{"16 on the China date, a day earlier in UTC", sixteenTomorrow, time.Date(2026, 3, 15, 16, 30, 0, 0, time.UTC), 16, nil},
		{"one minute before the birthday in China", sixteenToday, time.Date(2026, 3, 14, 15, 59, 0, 0, time.UTC), 16, idcard.ErrUnderage},
		{"born today, no minimum", bornToday, now, 0, nil},
		{"born today, minimum 1", bornToday, now, 1, idcard.ErrUnderage},
		{"leapling on 28 Feb of a common year", leapling, time.Date(2025, 2, 28, 12, 0, 0, 0, chinaTime), 17, idcard.ErrUnderage},
		{"leapling on 1 March of a common year", leapling, time.Date(2025, 3, 1, 12, 0, 0, 0, chinaTime), 17, nil},
		{"leapling on 29 Feb of a leap year", leapling, time.Date(2024, 2, 29, 12, 0, 0, 0, chinaTime), 16, nil},
		{"old", sample, now, 16, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := idcard.Validate(tc.id, tc.now, tc.minAge)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Validate = %v; want %v", err, tc.want)
			}
			assertNoNumber(t, err, tc.id)
		})
	}
}

func TestFutureBirthDateUsesChinaDate(t *testing.T) {
	// 20:00 UTC on 14 March is 04:00 on 15 March in China: born on the
	// 15th is today, not the future.
	n := time.Date(2026, 3, 14, 20, 0, 0, 0, time.UTC)
	if _, err := idcard.Validate(idcard.Make("110105", date(2026, 3, 15), 1), n, 0); err != nil {
		t.Fatalf("born today in China: %v", err)
	}
	if _, err := idcard.Validate(idcard.Make("110105", date(2026, 3, 16), 1), n, 0); !errors.Is(err, idcard.ErrBirthDate) {
		t.Fatalf("born tomorrow in China: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002x":       sample,
		"11010519491231002X":       sample,
		" 11010519491231002x\n":    sample,
		"\u300011010519491231002x": sample,
		"110105194912310021":       "110105194912310021",
		"x1010519491231002":        "x1010519491231002", // only a trailing x
		"":                         "",
		"abc x":                    "abc X",
	} {
		if got := idcard.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	seen := map[string]bool{}
	for _, err := range allErrors {
		msg := err.Error()
		if msg == "" || seen[msg] {
			t.Errorf("error message %q is empty or repeated", msg)
		}
		seen[msg] = true
		for _, other := range allErrors {
			if other != err && errors.Is(err, other) {
				t.Errorf("%v matches %v", err, other)
			}
		}
		// The graph can show them as they are.
		if _, ok := apperr.As(err); !ok {
			t.Errorf("%v is not an *apperr.Error", err)
		}
	}
	if got := apperr.CodeOf(idcard.ErrUnderage); got != apperr.CodeAgeRestricted {
		t.Errorf("ErrUnderage code = %s", got)
	}
	if got := apperr.CodeOf(idcard.ErrCheckDigit); got != apperr.CodeBadUserInput {
		t.Errorf("ErrCheckDigit code = %s", got)
	}
}

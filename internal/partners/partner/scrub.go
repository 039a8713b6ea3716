package partner

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a party writes in an error body is logged and may reach the user, so
// it is kept only after everything that looks like personal data is gone.
var (
	codePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
	// Runs of 6 digits or more, possibly grouped by single spaces or dashes
	// ("6222 0212 3456", "138-1234-5678"): ID, phone, card and account
	// numbers or parts of them, birth dates.
	digitRuns = regexp.MustCompile(`[0-9](?:[ \-]?[0-9]){5,}[Xx]?`)
	// Long unbroken runs of base64 or hex: encoded photos, face data, tokens.
	encodedRuns = regexp.MustCompile(`[A-Za-z0-9+/=_\-]{32,}`)
)

// MaxMessageRunes bounds a scrubbed message.
const MaxMessageRunes = 200

// Scrub removes control characters, every value in values (in any letter
// case; values shorter than 2 characters are ignored), long runs of digits
// and of base64 from s, and shortens it.
func Scrub(s string, values []string) string {
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, strings.ToValidUTF8(s, ""))
	for _, v := range values {
		if utf8.RuneCountInString(v) < 2 {
			continue
		}
		s = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(v)).ReplaceAllString(s, "***")
	}
	s = encodedRuns.ReplaceAllString(s, "***")
	s = digitRuns.ReplaceAllString(s, "***")
	if utf8.RuneCountInString(s) > MaxMessageRunes {
		s = string([]rune(s)[:MaxMessageRunes]) + "…"
	}
	return strings.TrimSpace(s)
}

// ErrorCode returns a party's error code if it looks like one (short, no
// spaces) and holds none of values; "" otherwise.
func ErrorCode(code string, values []string) string {
	if codePattern.MatchString(code) && Scrub(code, values) == code {
		return code
	}
	return ""
}

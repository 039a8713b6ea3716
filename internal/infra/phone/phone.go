// Package phone validates and normalises mainland China mobile numbers.
package phone

import (
	"errors"
	"strings"
)

// ErrInvalid is returned for anything that is not a mainland mobile number.
// It never repeats the input, which is personal data.
var ErrInvalid = errors.New("enter an 11-digit mainland China mobile number")

// Normalize returns the 11-digit national form ("13812345678") of a mainland
// mobile number written with or without +86/0086/86, spaces or dashes.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		case r == '+' && i == 0:
		default:
			return "", ErrInvalid
		}
	}
	d := b.String()
	if strings.HasPrefix(s, "+") && !strings.HasPrefix(d, "86") {
		return "", ErrInvalid // another country's code
	}
	switch {
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	}
	// Mainland mobile numbers: 11 digits, 1 then 3-9.
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return "", ErrInvalid
	}
	return d, nil
}

package credential

import (
	"crypto/rand"
	"strings"
)

// Card numbers are NumberPrefix followed by 12 random symbols of Crockford's
// base32 alphabet (60 bits from crypto/rand, derived from nothing about the
// holder) and one check symbol, e.g. "SC7K2M9QX4TB8RD" (NumberLen
// characters, all upper case).
//
// The check symbol is not Crockford's optional mod-37 one, whose extra
// symbols * ~ $ = U would put punctuation in about one number in nine. It is
// a Damm check over GF(32) instead, within the same 32 symbols: with the
// digits read as elements of GF(2^5) = GF(2)[x]/(x^5+x^2+1), the running
// value is r' = x·r + d, starting at 0, and the check symbol makes the final
// value 0. The operation is a totally anti-symmetric quasigroup (x ≠ 1), so
// the check catches every single-symbol substitution and every transposition
// of two adjacent symbols, the check symbol included.
const (
	NumberPrefix  = "SC"
	NumberLen     = 15 // the prefix, 12 random symbols, 1 check symbol
	numberRandom  = NumberLen - len(NumberPrefix) - 1
	crockfordAlph = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// crockfordVal maps a byte to its symbol value, or -1.
var crockfordVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(crockfordAlph); i++ {
		t[crockfordAlph[i]] = int8(i)
	}
	return t
}()

// damm is one step of the check: x·r + d in GF(32).
func damm(r, d byte) byte {
	r <<= 1
	if r&0x20 != 0 {
		r ^= 0x25 // x^5 = x^2 + 1
	}
	return r ^ d
}

// NewNumber returns a new random card number with its check symbol.
func NewNumber() (string, error) {
	var raw [numberRandom]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	b := make([]byte, 0, NumberLen)
	b = append(b, NumberPrefix...)
	var r byte
	for _, v := range raw {
		d := v & 31 // 256 is a multiple of 32: uniform
		b = append(b, crockfordAlph[d])
		r = damm(r, d)
	}
	// The check symbol c makes damm(r, c) = x·r + c = 0, so c = x·r.
	b = append(b, crockfordAlph[damm(r, 0)])
	return string(b), nil
}

// ValidNumber reports whether n is a card number in its canonical form:
// the prefix, 13 upper-case symbols and a matching check symbol. Use
// NormalizeNumber for a number someone typed.
func ValidNumber(n string) bool {
	if len(n) != NumberLen || !strings.HasPrefix(n, NumberPrefix) {
		return false
	}
	var r byte
	for i := len(NumberPrefix); i < len(n); i++ {
		v := crockfordVal[n[i]]
		if v < 0 {
			return false
		}
		r = damm(r, byte(v))
	}
	return r == 0
}

// NormalizeNumber reads a number as a person may type it: in any case, with
// spaces or hyphens, and with Crockford's look-alikes (I and L for 1, O for
// 0). It returns the canonical number and whether it is valid.
func NormalizeNumber(s string) (string, bool) {
	if len(s) > 4*NumberLen {
		return "", false
	}
	b := make([]byte, 0, NumberLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		// The prefix is letters only; look-alikes apply to the symbols.
		if len(b) >= len(NumberPrefix) {
			switch c {
			case 'I', 'L':
				c = '1'
			case 'O':
				c = '0'
			}
		}
		b = append(b, c)
	}
	n := string(b)
	if !ValidNumber(n) {
		return "", false
	}
	return n, true
}

// Package credential issues and verifies the student credentials that
// unlock perks at merchants: the star card (星星卡) and the planet resident
// card (星球居民证).
//
// A credential is a card number (see NewNumber) and, shown as a QR code, a
// short-lived signed payload (see Signer.Sign). A merchant verifies the
// payload online, through the platform, or offline with the platform's
// Ed25519 public key (see Verifier and ParsePublicKeyPEM).
//
// # Payload format
//
//	TXC1.<claims>.<signature>
//
// "TXC1" names the format (version 1). <claims> is the unpadded base64url
// encoding (RFC 4648 §5, no "=") of a JSON object with exactly these keys,
// in this order, with no white space, as Go's encoding/json writes it:
//
//	v        number  format version, 1
//	kid      string  id of the signing key, 1-32 of [A-Za-z0-9._-]
//	num      string  card number, "SC" + 12 Crockford base32 characters + check character
//	kind     string  "STAR_CARD" or "PLANET_RESIDENT"
//	school   string  school name, 1-100 characters
//	grad     number  graduation year: perks end on 1 September of that year, 00:00 Beijing time
//	student  bool    whether the platform has verified the holder as a student
//	nbf      number  not before, Unix seconds
//	exp      number  expires, Unix seconds (a QR code lives QRLifetime)
//
// <signature> is the unpadded base64url encoding of the 64-byte Ed25519
// signature of the ASCII bytes "TXC1.<claims>" (everything before the
// second dot). A payload is at most MaxPayloadLen bytes and holds only
// the characters A-Z a-z 0-9 - _ and the two dots; a verifier refuses
// anything else, including claims that are valid JSON but not byte for byte
// the encoding above (extra, missing, duplicate or reordered keys, spaces,
// different escapes), so every payload has exactly one spelling.
//
// # Privacy
//
// The payload is shown to every merchant that scans it, and a screenshot of
// it can travel further. It therefore carries only what a perk needs: the
// card number, the kind of card, the school, the graduation year, the
// validity window and the student flag. It never carries the nickname,
// gender, birth date, phone number, ID number, or any id of the user row;
// the card number is random and not derived from any of them. Claims has
// no field for them, and Sign cannot add one. The nickname and gender the
// app shows on the card come from the user's own data, in the app only.
//
// # Revocation
//
// A revoked card must stop verifying. Online, the caller looks the card
// number up in its database after Verify succeeds. Offline, a payload
// expires QRLifetime after it was issued, so a screenshot soon stops
// working, and a merchant can pass a published list of revoked numbers to
// NewVerifier with WithRevoked.
package credential

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
)

// Kind is the kind of credential.
type Kind string

// The kinds of credential.
const (
	StarCard       Kind = "STAR_CARD"       // 星星卡
	PlanetResident Kind = "PLANET_RESIDENT" // 星球居民证
)

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool { return k == StarCard || k == PlanetResident }

// Limits and constants of the format.
const (
	// FormatVersion is the version of the payload format, Claims.Version.
	FormatVersion = 1
	// Prefix starts every payload of FormatVersion.
	Prefix = "TXC1"
	// MaxPayloadLen is the longest payload Verify reads; longer input is
	// refused before any decoding.
	MaxPayloadLen = 2048
	// MaxSchoolRunes is the longest school name, as in package
	// studentverify.
	MaxSchoolRunes = 100
	// ClockSkew is how far the verifier's clock may be from the signer's:
	// a payload verifies from NotBefore-ClockSkew until just before
	// Expires+ClockSkew.
	ClockSkew = 30 * time.Second
	// QRLifetime is how long a QR payload made by Card.QRClaims is valid.
	QRLifetime = 5 * time.Minute
	// MinGradYear and MaxGradYear bound Claims.GradYear.
	MinGradYear = 1950
	MaxGradYear = 2200
	// MaxSchoolingYears bounds the schooling length (学制) GraduationYear
	// accepts, above the 8 years of combined bachelor-master-doctor
	// (本硕博连读) programmes.
	MaxSchoolingYears = 9
)

// The errors of Verify; compare with errors.Is. The returned errors may wrap
// one of them with a reason, which never repeats the payload.
var (
	ErrMalformed    = errors.New("credential: malformed payload")
	ErrUnknownKey   = errors.New("credential: unknown signing key")
	ErrBadSignature = errors.New("credential: bad signature")
	ErrExpired      = errors.New("credential: expired")
	ErrNotYetValid  = errors.New("credential: not yet valid")
	ErrGraduated    = errors.New("credential: holder has graduated")
	ErrRevoked      = errors.New("credential: revoked")
)

// ErrInvalidClaims is returned by Sign (and the constructors of this
// package) for claims that could never verify.
var ErrInvalidClaims = errors.New("credential: invalid claims")

// Claims is what a payload asserts. It holds nothing that identifies the
// holder beyond the random card number (see the package documentation).
type Claims struct {
	// Number is the card number (see NewNumber).
	Number string
	Kind   Kind
	// School is the school's name.
	School string
	// GradYear is the enrolment year plus the schooling length (see
	// GraduationYear); perks end at GraduationCutoff(GradYear).
	GradYear int
	// Student reports whether the platform has verified the holder as a
	// student (package student); perks reserved for verified students must
	// require it.
	Student bool
	// NotBefore and Expires bound the validity of the payload, to the
	// second. A QR payload lives QRLifetime; Verify returns them in UTC.
	NotBefore time.Time
	Expires   time.Time
	// Version is the payload format version, FormatVersion; Sign fills in
	// zero. Keys rotate through KeyID, not Version.
	Version int
	// KeyID is the id of the signing key; Sign fills it in (it may be left
	// empty, or must equal the signer's).
	KeyID string
}

// GraduationYear is the enrolment year plus the schooling length (学制) in
// years, the Claims.GradYear of a student.
func GraduationYear(enrolYear, schoolingYears int) (int, error) {
	if schoolingYears < 1 || schoolingYears > MaxSchoolingYears {
		return 0, fmt.Errorf("%w: schooling length must be 1 to %d years", ErrInvalidClaims, MaxSchoolingYears)
	}
	g := enrolYear + schoolingYears
	if g < MinGradYear || g > MaxGradYear {
		return 0, fmt.Errorf("%w: enrolment year out of range", ErrInvalidClaims)
	}
	return g, nil
}

// GraduationCutoff is when the perks of a holder graduating in gradYear
// end: 1 September of that year, 00:00 Beijing time. Students enrol in
// September, so this is exactly the schooling length after enrolment, and
// the end of the academic year (学年) in which they graduate. The online
// check must use the same rule.
func GraduationCutoff(gradYear int) time.Time {
	return time.Date(gradYear, time.September, 1, 0, 0, 0, 0, chinatime.Zone)
}

// Card is a credential as the platform keeps it.
type Card struct {
	Number   string
	Kind     Kind
	School   string
	GradYear int
	Student  bool
}

// NewCard draws a number for a new card of a student. The nickname and
// gender are deliberately not among its inputs: they never enter the
// credential.
func NewCard(kind Kind, school string, enrolYear, schoolingYears int, student bool) (Card, error) {
	grad, err := GraduationYear(enrolYear, schoolingYears)
	if err != nil {
		return Card{}, err
	}
	c := Card{Kind: kind, School: school, GradYear: grad, Student: student}
	if err := checkKind(kind); err != nil {
		return Card{}, err
	}
	if err := checkSchool(school); err != nil {
		return Card{}, err
	}
	if c.Number, err = NewNumber(); err != nil {
		return Card{}, err
	}
	return c, nil
}

// QRClaims returns the claims of a QR payload of the card issued at now:
// valid from now for QRLifetime, but not past the graduation cutoff.
func (c Card) QRClaims(now time.Time) Claims {
	exp := now.Add(QRLifetime)
	if cut := GraduationCutoff(c.GradYear); exp.After(cut) {
		exp = cut
	}
	return Claims{
		Number:    c.Number,
		Kind:      c.Kind,
		School:    c.School,
		GradYear:  c.GradYear,
		Student:   c.Student,
		NotBefore: now,
		Expires:   exp,
		Version:   FormatVersion,
	}
}

// Bounds of nbf and exp: Unix seconds from 1970 to the end of year 9999.
const maxUnix = 253402300799

// check checks what both Sign and Verify require of claims. Its errors
// wrap ErrInvalidClaims; Verify rewraps them as ErrMalformed.
func (w *wireClaims) check() error {
	switch {
	case w.V != FormatVersion:
		return fmt.Errorf("%w: unsupported version %d", ErrInvalidClaims, w.V)
	case !validKeyID(w.Kid):
		return fmt.Errorf("%w: bad key id", ErrInvalidClaims)
	case !ValidNumber(w.Num):
		return fmt.Errorf("%w: bad card number", ErrInvalidClaims)
	case w.Grad < MinGradYear || w.Grad > MaxGradYear:
		return fmt.Errorf("%w: graduation year out of range", ErrInvalidClaims)
	case w.Nbf < 0 || w.Exp > maxUnix:
		return fmt.Errorf("%w: validity window out of range", ErrInvalidClaims)
	case w.Exp <= w.Nbf:
		return fmt.Errorf("%w: expires before it becomes valid", ErrInvalidClaims)
	}
	if err := checkKind(w.Kind); err != nil {
		return err
	}
	return checkSchool(w.School)
}

func checkKind(k Kind) error {
	if !k.Valid() {
		return fmt.Errorf("%w: unknown kind", ErrInvalidClaims)
	}
	return nil
}

func checkSchool(s string) error {
	if s == "" || !utf8.ValidString(s) || strings.TrimSpace(s) != s ||
		utf8.RuneCountInString(s) > MaxSchoolRunes ||
		strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' || r == utf8.RuneError
		}) {
		return fmt.Errorf("%w: school must be 1 to %d printable characters, no line breaks, no surrounding spaces",
			ErrInvalidClaims, MaxSchoolRunes)
	}
	return nil
}

// validKeyID reports whether id is 1-32 of [A-Za-z0-9._-].
func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

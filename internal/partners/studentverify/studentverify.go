// Package studentverify checks a student's identity with a verification
// service (学信网 / CHSI-style): name, resident ID number, school, student
// card photo and the 学信网在线验证码 of the student's enrolment report.
//
// Sending these to the service is sharing personal data with a third party
// (purpose pii.ShareVerifier, 向身份验证服务商提供身份信息) and the photo and ID
// number are sensitive personal data: callers must hold the user's separate
// consent before calling Verify. Providers send exactly the fields of
// Request and nothing else, and no error of this package contains the name,
// ID number, school, code or photo.
package studentverify

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/imageformat"
)

// Request is what the student submits.
type Request struct {
	Name      string // legal name, as on the ID card
	IDNumber  string // 18-character resident ID number
	School    string // school name
	CHSICode  string // 学信网在线验证码: 12-16 letters and digits
	CardPhoto []byte // student card photo, JPEG or PNG
}

// Reasons a student is not verified (Result.Reason).
const (
	ReasonNameMismatch   = "NAME_MISMATCH"
	ReasonCodeInvalid    = "CODE_INVALID"
	ReasonCodeExpired    = "CODE_EXPIRED"
	ReasonSchoolMismatch = "SCHOOL_MISMATCH"
	ReasonNotEnrolled    = "NOT_ENROLLED"
	// ReasonUnknown stands for an empty or malformed reason from a service.
	ReasonUnknown = "UNKNOWN"
)

// Result is the service's answer. Not being verified is a result, not an
// error.
type Result struct {
	Verified bool
	// Reason is a machine code when not verified (one of the Reason
	// constants, or another upper-case code a service introduces); empty
	// when verified.
	Reason string
	// Ref is the provider's reference of this verification, for audits and
	// disputes.
	Ref string
	// EnrolledUntil is the expected end of studies, a calendar date at
	// midnight UTC, when the provider knows it.
	EnrolledUntil *time.Time
}

// Provider verifies student identities. Implementations are safe for
// concurrent use.
type Provider interface {
	// Name identifies the provider in audit records.
	Name() string
	// Verify checks r. A malformed request gives an *InputError and is not
	// sent; a service that refuses the call gives a *partner.Error.
	Verify(ctx context.Context, r Request) (*Result, error)
}

// Limits of a request.
const (
	MaxNameRunes   = 50
	MaxSchoolRunes = 64
	MinCodeLength  = 12
	MaxCodeLength  = 16
	MaxPhotoBytes  = 5 << 20
)

// Field names of InputError, as the graph's input would spell them.
const (
	FieldName      = "name"
	FieldIDNumber  = "idNumber"
	FieldSchool    = "school"
	FieldCHSICode  = "chsiCode"
	FieldCardPhoto = "cardPhoto"
)

// InputError reports a malformed request: the field and the problem,
// never the value.
type InputError = apperr.InputError

// Normalize returns r with surrounding spaces trimmed, the ID number
// normalised (idcard.Normalize) and the code upper-cased. It does not
// validate.
func Normalize(r Request) Request {
	r.Name = strings.TrimSpace(r.Name)
	r.IDNumber = idcard.Normalize(r.IDNumber)
	r.School = strings.TrimSpace(r.School)
	r.CHSICode = strings.ToUpper(strings.TrimSpace(r.CHSICode))
	return r
}

// Check validates the shape of a normalised request: a name and a school of
// printable text, an ID number that idcard.Validate accepts on now (any age:
// age rules are the caller's), a code of 12-16 ASCII letters and digits, and
// a JPEG or PNG photo of at most MaxPhotoBytes.
func Check(r Request, now time.Time) error {
	return apperr.Scoped("student verification", check(r, now))
}

func check(r Request, now time.Time) error {
	if err := checkText(FieldName, "name", r.Name, MaxNameRunes); err != nil {
		return err
	}
	if r.IDNumber == "" {
		return &InputError{Field: FieldIDNumber, Problem: "enter your resident ID number"}
	}
	if _, err := idcard.Validate(r.IDNumber, now, 0); err != nil {
		return &InputError{Field: FieldIDNumber, Problem: err.Error(), Err: err}
	}
	if err := checkText(FieldSchool, "school", r.School, MaxSchoolRunes); err != nil {
		return err
	}
	if !validCode(r.CHSICode) {
		return &InputError{Field: FieldCHSICode, Problem: fmt.Sprintf(
			"the CHSI verification code (学信网在线验证码) is %d-%d letters and digits", MinCodeLength, MaxCodeLength)}
	}
	switch {
	case len(r.CardPhoto) == 0:
		return &InputError{Field: FieldCardPhoto, Problem: "add a photo of your student card"}
	case len(r.CardPhoto) > MaxPhotoBytes:
		return &InputError{Field: FieldCardPhoto, Problem: fmt.Sprintf(
			"the student card photo is larger than %d MB", MaxPhotoBytes>>20)}
	case imageformat.Detect(r.CardPhoto) == "":
		return &InputError{Field: FieldCardPhoto, Problem: "the student card photo must be a JPEG or PNG image"}
	}
	return nil
}

func checkText(field, what, s string, maxRunes int) error {
	if s == "" {
		return &InputError{Field: field, Problem: "enter your " + what}
	}
	if !utf8.ValidString(s) {
		return &InputError{Field: field, Problem: "the " + what + " is not valid text"}
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return &InputError{Field: field, Problem: fmt.Sprintf("the %s is longer than %d characters", what, maxRunes)}
	}
	for _, c := range s {
		if !unicode.IsPrint(c) && c != ' ' {
			return &InputError{Field: field, Problem: "the " + what + " contains characters that are not allowed"}
		}
	}
	return nil
}

func validCode(s string) bool {
	if len(s) < MinCodeLength || len(s) > MaxCodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// validReason reports an upper-case machine code.
func validReason(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

package studentverify_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/partners/studentverify"
)

var (
	pngPhoto  = append([]byte("\x89PNG\r\n\x1a\n"), []byte("\x00\x00\x00\rIHDR student card pixels")...)
	jpegPhoto = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("JFIF student card pixels")...)
	idNumber  = idcard.Make("110105", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 123)
)

// validRequest returns a fresh copy of a well-formed request.
func validRequest() studentverify.Request {
	return studentverify.Request{
		Name:      "张三丰",
		IDNumber:  idNumber,
		School:    "北京大学",
		CHSICode:  "ABCD1234EFGH5678",
		CardPhoto: append([]byte(nil), pngPhoto...),
	}
}

// assertNoPersonalData fails if err's message holds any value of the
// request: the name, any 6 characters of the ID number, the school, the code
// or the photo (raw or base64).
func assertNoPersonalData(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := strings.ToUpper(err.Error())
	r := validRequest()
	for _, v := range []string{r.Name, r.School, r.CHSICode, string(r.CardPhoto[8:]),
		base64.StdEncoding.EncodeToString(r.CardPhoto)[:16]} {
		if strings.Contains(msg, strings.ToUpper(v)) {
			t.Errorf("error %q contains personal data %q", err, v)
		}
	}
	for i := 0; i+6 <= len(r.IDNumber); i++ {
		if strings.Contains(msg, r.IDNumber[i:i+6]) {
			t.Errorf("error %q contains part of the ID number", err)
			return
		}
	}
}

// sandboxNow is 15 March 2026, 10:00 in China.
var sandboxNow = time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC)

func newSandbox() *studentverify.Sandbox {
	s := studentverify.NewSandbox()
	s.Now = func() time.Time { return sandboxNow }
	return s
}

func TestSandboxCodePaths(t *testing.T) {
	until := time.Date(2027, 7, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		code     string
		verified bool
		reason   string
	}{
		{"TESTOK1234AB", true, ""},
		{"testok1234ab", true, ""},
		{"TEST00000000", true, ""},
		{"TEST0000000000FF", true, ""},
		{"NOPE12345678", false, studentverify.ReasonNotEnrolled},
		{"nope1234ABCD", false, studentverify.ReasonNotEnrolled},
		{"ABCD1234EFGH5678", false, studentverify.ReasonCodeInvalid},
		{"XTEST1234ABCD", false, studentverify.ReasonCodeInvalid},
		{"TES1T1234ABCD", false, studentverify.ReasonCodeInvalid},
	} {
		t.Run(tc.code, func(t *testing.T) {
			r := validRequest()
			r.CHSICode = tc.code
			res, err := newSandbox().Verify(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != tc.verified || res.Reason != tc.reason || res.Ref != "sandbox-000001" {
				t.Fatalf("Verify = %+v; want verified %v, reason %q", res, tc.verified, tc.reason)
			}
			if tc.verified != (res.EnrolledUntil != nil) || (res.EnrolledUntil != nil && !res.EnrolledUntil.Equal(until)) {
				t.Fatalf("EnrolledUntil = %v; want %v when verified", res.EnrolledUntil, until)
			}
		})
	}
}

func TestSandboxAcceptsJPEGAndNormalises(t *testing.T) {
	r := validRequest()
	r.CardPhoto = jpegPhoto
	r.Name, r.School = " 买买提·艾力 ", " 新疆大学\u3000"
	r.IDNumber = "11010519491231002x"
	r.CHSICode = " TESTOK1234AB "
	res, err := newSandbox().Verify(context.Background(), r)
	if err != nil || !res.Verified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestSandboxRefsAreDistinctAndNeedNoPersonalData(t *testing.T) {
	s := newSandbox()
	var mu sync.Mutex
	refs := map[string]bool{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			r := validRequest()
			r.CHSICode = "TESTOK1234AB"
			res, err := s.Verify(context.Background(), r)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			refs[res.Ref] = true
			mu.Unlock()
			assertNoPersonalData(t, errors.New(res.Ref))
		})
	}
	wg.Wait()
	if len(refs) != 50 {
		t.Fatalf("%d distinct refs for 50 verifications", len(refs))
	}
}

func TestSandboxRejectsMalformedRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*studentverify.Request)
		field string
		cause error
	}{
		{"no name", func(r *studentverify.Request) { r.Name = "" }, studentverify.FieldName, nil},
		{"blank name", func(r *studentverify.Request) { r.Name = " \u3000 " }, studentverify.FieldName, nil},
		{"long name", func(r *studentverify.Request) { r.Name = strings.Repeat("张", 51) }, studentverify.FieldName, nil},
		{"control in name", func(r *studentverify.Request) { r.Name = "张\x00三" }, studentverify.FieldName, nil},
		{"newline in name", func(r *studentverify.Request) { r.Name = "张\n三" }, studentverify.FieldName, nil},
		{"invalid UTF-8 name", func(r *studentverify.Request) { r.Name = "张\xff三" }, studentverify.FieldName, nil},
		{"no ID number", func(r *studentverify.Request) { r.IDNumber = "" }, studentverify.FieldIDNumber, nil},
		{"15-digit ID", func(r *studentverify.Request) { r.IDNumber = "110105491231002" }, studentverify.FieldIDNumber, idcard.ErrFormat},
		{"bad region", func(r *studentverify.Request) {
			r.IDNumber = idcard.Make("990101", time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC), 1)
		}, studentverify.FieldIDNumber, idcard.ErrRegion},
		{"future birth", func(r *studentverify.Request) {
			r.IDNumber = idcard.Make("110105", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1)
		}, studentverify.FieldIDNumber, idcard.ErrBirthDate},
		{"bad check", func(r *studentverify.Request) { r.IDNumber = idNumber[:17] + otherCheck(idNumber[17]) }, studentverify.FieldIDNumber, idcard.ErrCheckDigit},
		{"no school", func(r *studentverify.Request) { r.School = "  " }, studentverify.FieldSchool, nil},
		{"long school", func(r *studentverify.Request) { r.School = strings.Repeat("学", 101) }, studentverify.FieldSchool, nil},
		{"no code", func(r *studentverify.Request) { r.CHSICode = "" }, studentverify.FieldCHSICode, nil},
		{"code of 11", func(r *studentverify.Request) { r.CHSICode = "TEST1234ABC" }, studentverify.FieldCHSICode, nil},
		{"code of 17", func(r *studentverify.Request) { r.CHSICode = "TEST1234ABCD56789" }, studentverify.FieldCHSICode, nil},
		{"code with dash", func(r *studentverify.Request) { r.CHSICode = "TEST-1234-ABCD" }, studentverify.FieldCHSICode, nil},
		{"code with inner space", func(r *studentverify.Request) { r.CHSICode = "TEST 1234 ABCD" }, studentverify.FieldCHSICode, nil},
		{"code full-width", func(r *studentverify.Request) { r.CHSICode = "ＴＥＳＴ１２３４ＡＢＣＤ" }, studentverify.FieldCHSICode, nil},
		{"no photo", func(r *studentverify.Request) { r.CardPhoto = nil }, studentverify.FieldCardPhoto, nil},
		{"photo not an image", func(r *studentverify.Request) { r.CardPhoto = []byte("GIF89a not allowed") }, studentverify.FieldCardPhoto, nil},
		{"photo too large", func(r *studentverify.Request) {
			r.CardPhoto = append(append([]byte(nil), pngPhoto...), make([]byte, studentverify.MaxPhotoBytes)...)
		}, studentverify.FieldCardPhoto, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest()
			r.CHSICode = "TESTOK1234AB"
			tc.mod(&r)
			res, err := newSandbox().Verify(context.Background(), r)
			var ie *studentverify.InputError
			if !errors.As(err, &ie) || res != nil {
				t.Fatalf("Verify = %+v, %v; want an *InputError", res, err)
			}
			if ie.Field != tc.field || ie.Problem == "" {
				t.Fatalf("InputError = %+v; want field %s", ie, tc.field)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Fatalf("InputError %v does not wrap %v", err, tc.cause)
			}
			ae := ie.AppError()
			if ae.Code != apperr.CodeBadUserInput || ae.Extensions["field"] != tc.field || ae.Message != ie.Problem {
				t.Fatalf("AppError = %+v", ae)
			}
			assertNoPersonalData(t, err)
			for _, v := range []string{r.Name, r.School, r.CHSICode, r.IDNumber} {
				if len(v) >= 2 && strings.Contains(err.Error(), strings.TrimSpace(v)) && strings.TrimSpace(v) != "" {
					t.Fatalf("error %q repeats the input %q", err, v)
				}
			}
		})
	}
}

func otherCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestSandboxLeavesAgeToTheCaller(t *testing.T) {
	r := validRequest()
	r.CHSICode = "TESTOK1234AB"
	r.IDNumber = idcard.Make("110105", time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), 1) // 11 years old
	if res, err := newSandbox().Verify(context.Background(), r); err != nil || !res.Verified {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestSandboxHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newSandbox().Verify(ctx, validRequest()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify = %v", err)
	}
}

func TestSandboxWithTheRealClock(t *testing.T) {
	s := studentverify.NewSandbox()
	if s.Name() != "sandbox" {
		t.Fatalf("Name = %q", s.Name())
	}
	r := validRequest()
	r.CHSICode = "TESTOK1234AB"
	res, err := s.Verify(context.Background(), r)
	if err != nil || !res.Verified || res.EnrolledUntil == nil || !res.EnrolledUntil.After(time.Now()) {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestInputErrorMessage(t *testing.T) {
	r := validRequest()
	r.School = ""
	err := studentverify.Check(r, time.Now())
	if err == nil || err.Error() != fmt.Sprintf("student verification: %s: enter your school", studentverify.FieldSchool) {
		t.Fatalf("Check = %v", err)
	}
}

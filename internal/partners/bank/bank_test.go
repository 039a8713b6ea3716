package bank_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/partners/bank"
)

var (
	// Photos hold every byte value, so a lossy encoding would show.
	frontPhoto = append([]byte("\x89PNG\r\n\x1a\n"), allBytes("front")...)
	backPhoto  = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, allBytes("back")...)
	faceData   = allBytes("liveness")
	idNumber   = idcard.Make("110105", time.Date(2004, 9, 1, 0, 0, 0, 0, time.UTC), 123)
)

const (
	testName  = "欧阳三丰"
	testPhone = "13812345678"
	testCard  = "6222021234567890128" // passes Luhn
	testAppID = "APP-2026-000001"
)

func allBytes(tag string) []byte {
	b := []byte(tag)
	for i := range 256 {
		b = append(b, byte(i))
	}
	return b
}

// validApplication returns a fresh copy of a well-formed application.
func validApplication() bank.Application {
	return bank.Application{
		ApplicationID: testAppID,
		Name:          testName,
		IDNumber:      idNumber,
		Phone:         testPhone,
		IDPhotoFront:  bytes.Clone(frontPhoto),
		IDPhotoBack:   bytes.Clone(backPhoto),
		FaceData:      bytes.Clone(faceData),
		BoundCard:     testCard,
	}
}

// checkNow is 15 March 2026, 10:00 in China.
var checkNow = time.Date(2026, 3, 15, 2, 0, 0, 0, time.UTC)

// assertNoPersonalData fails if s holds any personal value of the test
// application, or of extra values (account numbers): the name or any two
// characters of it, any 6 characters of the ID number, phone, card or extra
// value, or the photos and face data (raw or base64).
func assertNoPersonalData(t *testing.T, s string, extra ...string) {
	t.Helper()
	if s == "" {
		return
	}
	up := strings.ToUpper(s)
	a := validApplication()
	name := []rune(a.Name)
	for i := 0; i+2 <= len(name); i++ {
		if strings.Contains(up, string(name[i:i+2])) {
			t.Errorf("%q contains (part of) the name", s)
		}
	}
	for _, v := range append([]string{a.IDNumber, a.Phone, a.BoundCard}, extra...) {
		for i := 0; i+6 <= len(v); i++ {
			if strings.Contains(up, v[i:i+6]) {
				t.Errorf("%q contains part of a personal number", s)
				break
			}
		}
	}
	for _, b := range [][]byte{a.IDPhotoFront, a.IDPhotoBack, a.FaceData} {
		if strings.Contains(s, string(b[4:20])) || strings.Contains(s, base64.StdEncoding.EncodeToString(b)[:16]) {
			t.Errorf("%q contains photo or face bytes", s)
		}
	}
}

func assertErrNoPersonalData(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err != nil {
		assertNoPersonalData(t, err.Error(), extra...)
	}
}

func TestLuhnValid(t *testing.T) {
	for _, tc := range []struct {
		card string
		want bool
	}{
		{"6222021234567890128", true},     // 19 digits
		{"6228480012345671", true},        // 16 digits
		{"4111111111111111", true},        // the classic test card
		{"378282246310005", true},         // 15 digits
		{"79927398713", true},             // Luhn's own example
		{"6217000000000000004", true},     // sandbox-style
		{"00", true},                      // all zeros pass the arithmetic
		{"6222 0212 3456 7890 128", true}, // spaces are tolerated: written in groups
		{" 6228 4800 1234 5671 ", true},
		{"6222021234567890127", false}, // last digit off by one
		{"6222021234567890182", false}, // two digits swapped
		{"4111111111111112", false},
		{"79927398710", false},
		{"6222-0212-3456-7890-128", false}, // dashes are not tolerated
		{"6222\t0212345678901 28", false},  // nor tabs
		{"６２２２０２１２３４５６７８９０１２８", false}, // nor full-width digits
		{"62220212345678901a8", false},
		{"", false},
		{"   ", false},
		{"0", false}, // a single digit is not a card number
	} {
		if got := bank.LuhnValid(tc.card); got != tc.want {
			t.Errorf("LuhnValid(%q) = %v; want %v", tc.card, got, tc.want)
		}
	}
}

func TestCheckApplicationAcceptsValid(t *testing.T) {
	if err := bank.CheckApplication(validApplication(), checkNow); err != nil {
		t.Fatal(err)
	}
	a := validApplication()
	a.Name = "阿依古丽·买买提"
	a.IDPhotoFront, a.IDPhotoBack = bytes.Clone(backPhoto), bytes.Clone(frontPhoto) // JPEG and PNG either side
	a.BoundCard = "622202123456"                                                    // 12 digits
	a.Phone = "19912345678"
	if err := bank.CheckApplication(a, checkNow); err != nil {
		t.Fatal(err)
	}
	a.Name = "Li Lei"
	a.BoundCard = "6222021234567890127" // fails Luhn: a warning for the app, not a refusal
	a.FaceData = make([]byte, bank.MaxFaceDataBytes)
	a.IDPhotoFront = append(bytes.Clone(frontPhoto), make([]byte, bank.MaxPhotoBytes-len(frontPhoto))...)
	if err := bank.CheckApplication(a, checkNow); err != nil {
		t.Fatal(err)
	}
	a.Name = strings.Repeat("张", bank.MaxNameRunes)
	if err := bank.CheckApplication(a, checkNow); err != nil {
		t.Fatal(err)
	}
}

func TestCheckApplicationRefuses(t *testing.T) {
	underage := idcard.Make("110105", time.Date(2010, 3, 16, 0, 0, 0, 0, time.UTC), 123) // 16 tomorrow
	badCheck := idNumber[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", idNumber[17])+1)%11])
	for _, tc := range []struct {
		name  string
		mod   func(*bank.Application)
		field string
		cause error // idcard's error, kept
	}{
		{"empty name", func(a *bank.Application) { a.Name = "" }, bank.FieldName, nil},
		{"long name", func(a *bank.Application) { a.Name = strings.Repeat("张", bank.MaxNameRunes+1) }, bank.FieldName, nil},
		{"name with newline", func(a *bank.Application) { a.Name = "张三\n丰" }, bank.FieldName, nil},
		{"name with NUL", func(a *bank.Application) { a.Name = "张三\x00" }, bank.FieldName, nil},
		{"name with RTL override", func(a *bank.Application) { a.Name = "张三\u202e" }, bank.FieldName, nil},
		{"name not UTF-8", func(a *bank.Application) { a.Name = "张\xff三" }, bank.FieldName, nil},
		{"empty ID", func(a *bank.Application) { a.IDNumber = "" }, bank.FieldIDNumber, nil},
		{"short ID", func(a *bank.Application) { a.IDNumber = idNumber[:17] }, bank.FieldIDNumber, idcard.ErrFormat},
		{"ID region", func(a *bank.Application) { a.IDNumber = "99" + idNumber[2:] }, bank.FieldIDNumber, idcard.ErrRegion},
		{"ID check digit", func(a *bank.Application) { a.IDNumber = badCheck }, bank.FieldIDNumber, idcard.ErrCheckDigit},
		{"ID underage", func(a *bank.Application) { a.IDNumber = underage }, bank.FieldIDNumber, idcard.ErrUnderage},
		{"ID birth in future", func(a *bank.Application) {
			a.IDNumber = idcard.Make("110105", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1)
		}, bank.FieldIDNumber, idcard.ErrBirthDate},
		{"empty phone", func(a *bank.Application) { a.Phone = "" }, bank.FieldPhone, nil},
		{"phone 10 digits", func(a *bank.Application) { a.Phone = "1381234567" }, bank.FieldPhone, nil},
		{"phone 12 digits", func(a *bank.Application) { a.Phone = "138123456789" }, bank.FieldPhone, nil},
		{"phone 12x", func(a *bank.Application) { a.Phone = "12812345678" }, bank.FieldPhone, nil},
		{"landline", func(a *bank.Application) { a.Phone = "01012345678" }, bank.FieldPhone, nil},
		{"phone +86", func(a *bank.Application) { a.Phone = "+8613812345678" }, bank.FieldPhone, nil},
		{"phone letters", func(a *bank.Application) { a.Phone = "1381234567a" }, bank.FieldPhone, nil},
		{"no front photo", func(a *bank.Application) { a.IDPhotoFront = nil }, bank.FieldIDPhotoFront, nil},
		{"front not an image", func(a *bank.Application) { a.IDPhotoFront = []byte("GIF89a....") }, bank.FieldIDPhotoFront, nil},
		{"front too large", func(a *bank.Application) {
			a.IDPhotoFront = append(bytes.Clone(frontPhoto), make([]byte, bank.MaxPhotoBytes)...)
		}, bank.FieldIDPhotoFront, nil},
		{"no back photo", func(a *bank.Application) { a.IDPhotoBack = []byte{} }, bank.FieldIDPhotoBack, nil},
		{"back truncated PNG", func(a *bank.Application) { a.IDPhotoBack = []byte("\x89PNG") }, bank.FieldIDPhotoBack, nil},
		{"back too large", func(a *bank.Application) {
			a.IDPhotoBack = append(bytes.Clone(backPhoto), make([]byte, bank.MaxPhotoBytes)...)
		}, bank.FieldIDPhotoBack, nil},
		{"no face data", func(a *bank.Application) { a.FaceData = nil }, bank.FieldFaceData, nil},
		{"face data too large", func(a *bank.Application) { a.FaceData = make([]byte, bank.MaxFaceDataBytes+1) }, bank.FieldFaceData, nil},
		{"no card", func(a *bank.Application) { a.BoundCard = "" }, bank.FieldBoundCard, nil},
		{"card 11 digits", func(a *bank.Application) { a.BoundCard = "62220212345" }, bank.FieldBoundCard, nil},
		{"card 20 digits", func(a *bank.Application) { a.BoundCard = "62220212345678901280" }, bank.FieldBoundCard, nil},
		{"card with spaces", func(a *bank.Application) { a.BoundCard = "6222 0212 3456 7890 128" }, bank.FieldBoundCard, nil},
		{"card with letter", func(a *bank.Application) { a.BoundCard = "622202123456789012A" }, bank.FieldBoundCard, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := validApplication()
			tc.mod(&a)
			err := bank.CheckApplication(a, checkNow)
			var ie *bank.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("CheckApplication = %v; want an *InputError", err)
			}
			if ie.Field != tc.field || ie.Problem == "" {
				t.Fatalf("InputError %+v; want field %s", ie, tc.field)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Fatalf("CheckApplication = %v; want idcard's %v kept", err, tc.cause)
			}
			// Neither the valid values nor the refused one.
			assertErrNoPersonalData(t, err)
			for _, v := range []string{a.Name, a.IDNumber, a.Phone, a.BoundCard} {
				if len(v) >= 4 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q repeats the input", err)
				}
			}
			ae := ie.AppError()
			wantCode := apperr.CodeBadUserInput
			if tc.cause == idcard.ErrUnderage {
				wantCode = apperr.CodeAgeRestricted
			}
			if ae.Code != wantCode || ae.Extensions["field"] != tc.field {
				t.Fatalf("AppError = %+v; want %s on field %s", ae, wantCode, tc.field)
			}
			assertNoPersonalData(t, ae.Message)
		})
	}
}

func TestCheckApplicationAgeBoundary(t *testing.T) {
	a := validApplication()
	a.IDNumber = idcard.Make("110105", time.Date(2010, 3, 15, 0, 0, 0, 0, time.UTC), 123) // 16 today
	if err := bank.CheckApplication(a, checkNow); err != nil {
		t.Fatalf("16 today: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	a := validApplication()
	a.Name = "  " + testName + "\u3000"
	a.IDNumber = " " + strings.ToLower(idNumber[:17]+"x") + " "
	a.Phone = "138 1234-5678"
	a.BoundCard = "6222 0212 3456 7890 128"
	n := bank.Normalize(a)
	if n.Name != testName || n.IDNumber != idNumber[:17]+"X" || n.Phone != testPhone || n.BoundCard != testCard {
		t.Fatalf("Normalize = %v %q %q %q", n.Name == testName, n.IDNumber, n.Phone, n.BoundCard)
	}
	if !bytes.Equal(n.IDPhotoFront, frontPhoto) || n.ApplicationID != testAppID {
		t.Fatal("Normalize changed what it should not")
	}
	if err := bank.CheckApplication(bank.Normalize(validApplication()), checkNow); err != nil {
		t.Fatal(err)
	}
}

func TestFormattingIsMasked(t *testing.T) {
	a := validApplication()
	acct := bank.Account{BankRef: "BR-1", AccountNumber: "6217000000000000004", Status: bank.StatusOpen}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{a, &a, acct, &acct} {
			s := fmt.Sprintf(f, v)
			assertNoPersonalData(t, s, acct.AccountNumber)
			if strings.Contains(s, "000000") {
				t.Errorf("%s of %T = %q shows the account number", f, v, s)
			}
		}
	}
	if s := acct.String(); !strings.Contains(s, "**** **** **** 0004") || !strings.Contains(s, "BR-1") {
		t.Errorf("Account.String = %q; want the last four digits and the ref", s)
	}
	if s := a.String(); !strings.Contains(s, testAppID) || !strings.Contains(s, "**** **** **** 0128") {
		t.Errorf("Application.String = %q", s)
	}
}

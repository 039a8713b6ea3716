// Package mask renders sensitive values in their masked form (Y2). Every
// masked form keeps only what a person needs to recognise their own data.
package mask

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind names a masking rule; it is the MaskKind enum of the graph.
type Kind string

const (
	KindPhone    Kind = "PHONE"
	KindIDNumber Kind = "ID_NUMBER"
	KindBankCard Kind = "BANK_CARD"
	KindName     Kind = "NAME"
	KindAddress  Kind = "ADDRESS"
	KindEmail    Kind = "EMAIL"
	// KindSecret hides a secret whole (a pick-up code).
	KindSecret Kind = "SECRET"
)

var kinds = []Kind{KindPhone, KindIDNumber, KindBankCard, KindName, KindAddress, KindEmail, KindSecret}

// Kinds lists every kind.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// StaffMayReveal reports whether staff may reveal a value of this kind by
// stating a reason. A secret is a key (a pick-up code opens a parcel
// locker), not a record to look into: only the parties the object itself
// names ever see it (E2), so no reason lets staff reveal one.
func (k Kind) StaffMayReveal() bool { return k != KindSecret }

// Apply masks s by kind; an unknown kind hides everything.
func Apply(k Kind, s string) string {
	switch k {
	case KindPhone:
		return Phone(s)
	case KindIDNumber:
		return IDNumber(s)
	case KindBankCard:
		return BankCard(s)
	case KindName:
		return Name(s)
	case KindAddress:
		return Address(s)
	case KindEmail:
		return Email(s)
	}
	return "****"
}

// Phone keeps the first 3 and last 4 digits: 138****5678.
func Phone(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// IDNumber keeps the first and the last two characters:
// 1***************2X.
func IDNumber(s string) string {
	r := []rune(s)
	if len(r) < 4 {
		return "****"
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-3) + string(r[len(r)-2:])
}

// BankCard keeps the last four digits: **** **** **** 1234.
func BankCard(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(d) < 8 {
		return "**** **** **** ****"
	}
	return "**** **** **** " + d[len(d)-4:]
}

// compoundSurnames are two-character family names kept whole.
var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙",
	"慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "端木", "独孤", "南宫", "西门", "轩辕", "呼延"}

// Name keeps the family name: 张三 → 张*, 欧阳娜娜 → 欧阳**; a Latin name
// keeps its first letter.
func Name(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return "*"
	}
	keep := 1
	for _, c := range compoundSurnames {
		if strings.HasPrefix(s, c) && n > 2 {
			keep = 2
		}
	}
	r := []rune(s)
	return string(r[:keep]) + strings.Repeat("*", max(n-keep, 1))
}

// Address keeps the address down to its district (区/县/旗) and hides the
// rest: 广东省深圳市南山区粤海街道科苑南路3099号 → 广东省深圳市南山区****.
func Address(s string) string {
	r := []rune(strings.TrimSpace(s))
	cut := -1
	for i, c := range r {
		// 自治区 and 特别行政区 are provinces, not districts.
		province := c == '区' && i >= 2 && (string(r[i-2:i]) == "自治" || string(r[i-2:i]) == "行政")
		if (c == '区' || c == '县' || c == '旗') && !province {
			cut = i + 1
			break
		}
	}
	if cut < 0 {
		for i, c := range r {
			if c == '市' {
				cut = i + 1
			}
		}
	}
	if cut < 0 {
		cut = min(len(r)/3, 6)
	}
	return string(r[:cut]) + "****"
}

// Email keeps the first character and the domain: a***@example.com.
func Email(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[:1]) + "***@" + domain
}

// MarshalGQL writes the enum value.
func (k Kind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL accepts the known kinds.
func (k *Kind) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	for _, known := range kinds {
		if Kind(s) == known {
			*k = known
			return nil
		}
	}
	return fmt.Errorf("%q is not a mask kind", s)
}

package logging

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"unicode"

	"github.com/tongxue/tongxue/internal/infra/mask"
)

// Redaction (Y5): no personal data reaches the logs. Attributes whose key
// names personal data are dropped to "[redacted]"; every string that is
// logged (message, values, errors) has phone numbers, ID numbers, bank card
// numbers, emails and session tokens masked, whatever code logged them.

// redactedKeys are keys dropped whole.
var redactedKeys = map[string]bool{"idnumber": true, "idcard": true}

// redactedWords drop a key that has one of them as a word, however it is
// spelt: buyer_phone, recipientName, contact-email, bankCard.
var redactedWords = map[string]bool{
	"phone": true, "mobile": true, "token": true, "password": true, "secret": true,
	"name": true, "email": true, "address": true, "ip": true, "authorization": true,
	"card": true, "variables": true, "query": true, "birth": true, "cipher": true,
	"code": true, "idnumber": true, "idcard": true,
}

// redactedKey reports whether a key names personal data: whole, by one of
// its words, or as id + number.
func redactedKey(key string) bool {
	if redactedKeys[strings.ToLower(key)] {
		return true
	}
	words := keyWords(key)
	for i, w := range words {
		if redactedWords[w] || w == "id" && i+1 < len(words) && words[i+1] == "number" {
			return true
		}
	}
	return false
}

// keyWords splits a key at non-letters and at case changes, lower-cased:
// "recipientName_2" is recipient, name, 2; "holderIDNumber" is holder, id,
// number (an acronym ends before the capital that starts the next word).
func keyWords(key string) []string {
	var words []string
	rs := []rune(key)
	start := 0
	flush := func(end int) {
		if end > start {
			words = append(words, strings.ToLower(string(rs[start:end])))
		}
		start = end
	}
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush(i)
			start = i + 1
		case i > start && unicode.IsUpper(r) &&
			(unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])):
			flush(i)
		}
	}
	flush(len(rs))
	return words
}

var (
	digitRun = regexp.MustCompile(`[0-9]{11,}[Xx]?`)
	emailRe  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	tokenRe  = regexp.MustCompile(`(tx[se])_[A-Za-z0-9_\-]+`) // session tokens, export links
)

// Scrub masks personal data found in s.
func Scrub(s string) string {
	if s == "" {
		return s
	}
	s = tokenRe.ReplaceAllString(s, "${1}_[redacted]")
	s = emailRe.ReplaceAllStringFunc(s, mask.Email)
	return digitRun.ReplaceAllStringFunc(s, func(d string) string {
		switch {
		case len(d) == 18:
			return mask.IDNumber(d)
		case len(d) == 11 && d[0] == '1':
			return mask.Phone(d)
		case len(d) == 13 && strings.HasPrefix(d, "86"):
			return "86" + mask.Phone(d[2:])
		default:
			return mask.BankCard(d)
		}
	})
}

// Redact wraps a handler with the redaction rules.
func Redact(h slog.Handler) slog.Handler { return redactHandler{h} }

type redactHandler struct{ slog.Handler }

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.Handler.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if redactedKey(a.Key) {
		return slog.String(a.Key, "[redacted]")
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Scrub(x.Error()))
		case []string:
			out := make([]string, len(x))
			for i, s := range x {
				out[i] = Scrub(s)
			}
			return slog.Any(a.Key, out)
		}
		return slog.String(a.Key, Scrub(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

package partner_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: partner.MaxBackoff} {
		for range 50 {
			if d := partner.Backoff(100*time.Millisecond, n); d < want/2 || d > want {
				t.Fatalf("retry %d: %v, want between %v and %v", n, d, want/2, want)
			}
		}
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := partner.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("err %v", err)
	}
	if err := partner.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestScrub(t *testing.T) {
	values := []string{"李华", "11010820040901004X", "浙江大学"}
	for in, want := range map[string]string{
		"李华 的证件 11010820040901004x 不符":                   "*** 的证件 *** 不符",
		"card 6222 0212 3456 7890 refused":               "card *** refused",
		"phone 138-1234-5678":                            "phone ***",
		"photo aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8=": "photo ***",
		"bad\x00\nline":                                  "bad  line",
		"浙江大学 not found":                                 "*** not found",
		"order 12345 late":                               "order 12345 late",
	} {
		if got := partner.Scrub(in, values); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
	if got := partner.Scrub(strings.Repeat("错", 300), nil); utf8.RuneCountInString(got) != partner.MaxMessageRunes+1 {
		t.Errorf("long message kept %d runes", utf8.RuneCountInString(got))
	}
	for code, want := range map[string]string{"ID_MISMATCH": "ID_MISMATCH", "bad code": "", "11010820040901004X": "", "": ""} {
		if got := partner.ErrorCode(code, values); got != want {
			t.Errorf("ErrorCode(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestRetry(t *testing.T) {
	errDown, errBad := errors.New("down"), errors.New("bad")
	calls := 0
	_, err := partner.Retry(context.Background(), 2, time.Millisecond, func() (int, bool, error) { calls++; return 0, true, errDown })
	if calls != 3 || !errors.Is(err, partner.ErrGaveUp) || !errors.Is(err, errDown) || !strings.Contains(err.Error(), "attempt 3 of 3") {
		t.Fatalf("retryable: %d calls, %v", calls, err)
	}
	calls = 0
	_, err = partner.Retry(context.Background(), 2, time.Millisecond, func() (int, bool, error) { calls++; return 0, false, errBad })
	if calls != 1 || err != errBad {
		t.Fatalf("final: %d calls, %v", calls, err)
	}
	calls = 0
	v, err := partner.Retry(context.Background(), 2, time.Millisecond, func() (int, bool, error) {
		if calls++; calls < 2 {
			return 0, true, errDown
		}
		return 7, false, nil
	})
	if v != 7 || err != nil || calls != 2 {
		t.Fatalf("second try: %d %v after %d calls", v, err, calls)
	}
}

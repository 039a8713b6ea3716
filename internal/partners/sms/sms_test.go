package sms_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tongxue/tongxue/internal/partners/sms"
)

func loginCode(code string) sms.Message {
	return sms.Message{Template: sms.TemplateLoginCode, Params: map[string]string{"code": code}}
}

func TestSandboxPrintsMaskedNumberAndText(t *testing.T) {
	var out bytes.Buffer
	s := sms.NewSandbox(&out)
	if err := s.Send(context.Background(), "13812345678", loginCode("493027")); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "13812345678") || strings.Contains(got, "12345678") || strings.Contains(got, "1234") {
		t.Fatalf("sandbox output shows the number: %q", got)
	}
	if !strings.Contains(got, "138****5678") {
		t.Fatalf("sandbox output %q lacks the masked number 138****5678", got)
	}
	if !strings.Contains(got, "493027") {
		t.Fatalf("sandbox output %q lacks the code", got)
	}
	want := sms.Render(loginCode("493027"))
	if !strings.Contains(got, want) {
		t.Fatalf("sandbox output %q lacks the message text %q", got, want)
	}
	if !strings.HasSuffix(got, "\n") || strings.Count(got, "\n") != 1 {
		t.Fatalf("sandbox output is not one line: %q", got)
	}

	// One line per message.
	if err := s.Send(context.Background(), "13900001111", loginCode("000001")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "139****1111") || strings.Contains(lines[1], "13900001111") {
		t.Fatalf("second message: %q", lines)
	}
}

func TestSandboxConcurrentLinesDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	s := sms.NewSandbox(&out)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Send(context.Background(), "13812345678", loginCode("111111"))
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d lines, want 50", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "[sms sandbox] to 138****5678: ") || !strings.Contains(l, "111111") {
			t.Fatalf("mangled line %q", l)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSandboxReportsWriteErrors(t *testing.T) {
	if err := sms.NewSandbox(failingWriter{}).Send(context.Background(), "13812345678", loginCode("1")); err == nil {
		t.Fatal("Send to a failing writer succeeded")
	}
}

func TestRender(t *testing.T) {
	got := sms.Render(loginCode("654321"))
	if !strings.Contains(got, "654321") || !strings.Contains(got, "验证码") || !strings.Contains(got, "5 分钟") {
		t.Fatalf("Render = %q", got)
	}
	if got := sms.Render(sms.Message{Template: "other", Params: map[string]string{"code": "654321"}}); got != "other" || strings.Contains(got, "654321") {
		t.Fatalf("Render(unknown template) = %q", got)
	}
}

func TestCaptureLastCodeAndCount(t *testing.T) {
	ctx := context.Background()
	var c sms.Capture
	const a, b = "13812345678", "13900001111"
	if c.LastCode(a) != "" || c.Count(a) != 0 {
		t.Fatal("empty capture reports messages")
	}
	mustSend := func(phone string, m sms.Message) {
		t.Helper()
		if err := c.Send(ctx, phone, m); err != nil {
			t.Fatal(err)
		}
	}
	mustSend(a, loginCode("111111"))
	mustSend(b, loginCode("222222"))
	mustSend(a, sms.Message{Template: "notice"})
	mustSend(a, loginCode("333333"))

	if got := c.LastCode(a); got != "333333" {
		t.Fatalf("LastCode(a) = %q, want the newest code 333333", got)
	}
	if got := c.LastCode(b); got != "222222" {
		t.Fatalf("LastCode(b) = %q, want 222222", got)
	}
	if got := c.LastCode("13700000000"); got != "" {
		t.Fatalf("LastCode(unknown) = %q", got)
	}
	if got := c.Count(a); got != 3 {
		t.Fatalf("Count(a) = %d, want 3 (all templates)", got)
	}
	if got := c.Count(b); got != 1 {
		t.Fatalf("Count(b) = %d, want 1", got)
	}

	// Capture is a Sender and safe for concurrent use.
	var s sms.Sender = &c
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Send(ctx, b, loginCode("444444"))
			_ = c.LastCode(b)
		}()
	}
	wg.Wait()
	if c.Count(b) != 21 || c.LastCode(b) != "444444" {
		t.Fatalf("after concurrent sends: Count %d, LastCode %q", c.Count(b), c.LastCode(b))
	}
}

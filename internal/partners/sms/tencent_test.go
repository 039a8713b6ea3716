package sms_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
	"github.com/tongxue/tongxue/internal/partners/sms"
)

// The example of Tencent's "签名方法 v3" page
// (https://cloud.tencent.com/document/api/382/52072, the same in every
// product's copy, e.g. https://cloud.tencent.com/document/api/213/30654, and
// in TencentCloud/signature-process-demo's signature-v3/golang/demo.go):
// DescribeInstances on cvm at 1551113065 with the page's masked example
// key, whose published signature is 2230eefd….
func TestTC3SignatureMatchesTencentsPublishedExample(t *testing.T) {
	const payload = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	req, err := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	s := sms.TC3Signer{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3*******",
		Service: "cvm", Action: "DescribeInstances", Version: "2017-03-12", Region: "ap-guangzhou"}
	s.Sign(req, []byte(payload), time.Unix(1551113065, 0))

	const want = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization\n%s\nwant\n%s", got, want)
	}
	for k, v := range map[string]string{"X-TC-Action": "DescribeInstances", "X-TC-Version": "2017-03-12",
		"X-TC-Timestamp": "1551113065", "X-TC-Region": "ap-guangzhou"} {
		if got := req.Header.Get(k); got != v {
			t.Errorf("%s %q; want %q", k, got, v)
		}
	}
	// The signature covers the body: another body, another signature.
	s.Sign(req, []byte(payload+" "), time.Unix(1551113065, 0))
	if req.Header.Get("Authorization") == want {
		t.Fatal("the signature does not depend on the body")
	}
}

func TestTencentSendsASignedSendSms(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	if err := newTencent(t, f.URL, nil).Send(context.Background(), testPhone, loginCode(testCode)); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The fake checked the shape and the signature (a wrong one would have
	// failed the test or the Send); the key itself never travels.
	for k, vs := range reqs[0].Header {
		if strings.Contains(strings.Join(vs, " "), secretKey) {
			t.Fatalf("header %s carries the secret key", k)
		}
	}
}

func TestTencentSessionsDifferPerSend(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	s := newTencent(t, f.URL, nil)
	for range 2 {
		if err := s.Send(context.Background(), testPhone, loginCode(testCode)); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.Requests()
	if a, b := decodeRequest(reqs[0].Body).SessionContext, decodeRequest(reqs[1].Body).SessionContext; a == b {
		t.Fatalf("two sends share SessionContext %q", a)
	}
}

func TestTencentPicksTheTemplateIDByName(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	s := newTencent(t, f.URL, nil)
	for name, id := range map[string]string{sms.TemplateRevealCode: revealTplID, "phone_change_old_code": revealTplID,
		sms.TemplateLoginCode: loginTplID, "phone_change_new_code": loginTplID} {
		f.want = sent{templateID: id, code: "000123"}
		m := sms.Message{Template: name, Params: map[string]string{sms.ParamCode: "000123"}}
		if err := s.Send(context.Background(), testPhone, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := f.Count(); n != 4 {
		t.Fatalf("%d requests; want 4", n)
	}
}

func TestTencentRefusesWhatItCannotSendWithoutCalling(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	s := newTencent(t, f.URL, nil)
	ctx := context.Background()
	if err := s.Send(ctx, testPhone, sms.Message{Template: "welcome", Params: map[string]string{sms.ParamCode: "1"}}); !errors.Is(err, sms.ErrNoTemplate) {
		t.Errorf("unknown template: %v; want ErrNoTemplate", err)
	}
	if err := s.Send(ctx, testPhone, sms.Message{Template: sms.TemplateLoginCode}); err == nil {
		t.Error("a message without a code was sent")
	}
	for _, p := range []string{testE164, "138 1234 5678", "8613812345678", "12345678901", ""} {
		err := s.Send(ctx, p, loginCode(testCode))
		if err == nil {
			t.Errorf("number %q was sent to", p)
		} else if strings.Contains(err.Error(), "12345678") {
			t.Errorf("error %q shows the number", err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Send(cancelled, testPhone, loginCode(testCode)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if n := f.Count(); n != 0 {
		t.Fatalf("%d requests reached Tencent", n)
	}
}

func TestTencentRefusesAWrongSecretAsTencentDoes(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	err := newTencent(t, f.URL, func(c *sms.TencentConfig) { c.Secret = "not-the-key" }).
		Send(context.Background(), testPhone, loginCode(testCode))
	pe := tencentRefusal(t, err, "AuthFailure.SignatureFailure")
	if pe.Retryable || !partner.Refused(err) || errors.Is(err, sms.ErrUndeliverable) || asLimit(err) != nil {
		t.Fatalf("%v: a wrong key is our fault, final, and not the number's", err)
	}
	if n := f.Count(); n != 1 {
		t.Fatalf("%d attempts; a refusal is not retried", n)
	}
	if strings.Contains(err.Error(), "not-the-key") {
		t.Fatalf("%v shows the key", err)
	}
}

func TestTencentRefusesAStaleClock(t *testing.T) {
	f := newFake(t, status("Ok", "send success"))
	err := newTencent(t, f.URL, func(c *sms.TencentConfig) {
		c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	}).Send(context.Background(), testPhone, loginCode(testCode))
	tencentRefusal(t, err, "AuthFailure.SignatureExpire")
}

// Tencent refuses a number in SendStatusSet with HTTP 200 and its code;
// the caller learns whether the number or we are at fault.
func TestTencentPerNumberRefusals(t *testing.T) {
	for _, tc := range []struct {
		code          string
		limited       bool
		wait          time.Duration
		undeliverable bool
	}{
		{code: "LimitExceeded.PhoneNumberDailyLimit", limited: true, wait: 24 * time.Hour},
		{code: "LimitExceeded.PhoneNumberSameContentDailyLimit", limited: true, wait: 24 * time.Hour},
		{code: "LimitExceeded.PhoneNumberOneHourLimit", limited: true, wait: time.Hour},
		{code: "LimitExceeded.PhoneNumberThirtySecondLimit", limited: true, wait: 30 * time.Second},
		{code: "LimitExceeded.DeliveryFrequencyLimit", limited: true},
		{code: "FailedOperation.PhoneNumberInBlacklist", undeliverable: true},
		{code: "InvalidParameterValue.IncorrectPhoneNumber", undeliverable: true},
		{code: "LimitExceeded.AppDailyLimit"},
		{code: "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"},
		{code: "FailedOperation.InsufficientBalanceInSmsPackage"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := newFake(t, status(tc.code, "refused"))
			err := newTencent(t, f.URL, nil).Send(context.Background(), testPhone, loginCode(testCode))
			pe := tencentRefusal(t, err, tc.code)
			if pe.Message != "refused" {
				t.Errorf("Message %q", pe.Message)
			}
			le := asLimit(err)
			if (le != nil) != tc.limited || le != nil && le.RetryAfter != tc.wait {
				t.Errorf("%v: LimitError %+v; want limited %v, wait %v", err, le, tc.limited, tc.wait)
			}
			if errors.Is(err, sms.ErrUndeliverable) != tc.undeliverable {
				t.Errorf("%v: undeliverable %v; want %v", err, !tc.undeliverable, tc.undeliverable)
			}
			if !strings.Contains(err.Error(), requestID) {
				t.Errorf("%v lacks Tencent's RequestId", err)
			}
			if n := f.Count(); n != 1 {
				t.Fatalf("%d attempts", n)
			}
		})
	}
}

// A refused request has Response.Error instead of SendStatusSet.
func TestTencentRequestRefusals(t *testing.T) {
	for _, tc := range []struct {
		code      string
		retryable bool
	}{
		{code: "FailedOperation.SignatureIncorrectOrUnapproved"},
		{code: "UnauthorizedOperation.SmsSdkAppIdVerifyFail"},
		{code: "InternalError.Timeout", retryable: true},
		{code: "RequestLimitExceeded", retryable: true},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := newFake(t, replyTop(tc.code, "no"))
			err := newTencent(t, f.URL, nil).Send(context.Background(), testPhone, loginCode(testCode))
			if pe := tencentRefusal(t, err, tc.code); pe.Retryable != tc.retryable || pe.Message != "no" {
				t.Fatalf("%+v; want Retryable %v", pe, tc.retryable)
			}
			if errors.Is(err, partner.ErrGaveUp) || asLimit(err) != nil || errors.Is(err, sms.ErrUndeliverable) {
				t.Fatalf("%v is neither unavailability nor the number's fault", err)
			}
			// Tencent answered: the same SendSms is not sent again.
			if n := f.Count(); n != 1 {
				t.Fatalf("%d attempts", n)
			}
		})
	}
}

func TestTencentRetries5xxThenSends(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n < 2 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>502 Bad Gateway</html>")
			return
		}
		status("Ok", "send success")(n, w, r, body)
	})
	if err := newTencent(t, f.URL, nil).Send(context.Background(), testPhone, loginCode(testCode)); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts; want 3", len(reqs))
	}
	// Every attempt carries the same message (and session).
	for _, r := range reqs[1:] {
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Fatal("a retry changed the body")
		}
	}
}

func TestTencentTimeOutIsBounded(t *testing.T) {
	f := newFake(t, partnertest.Hang)
	start := time.Now()
	err := newTencent(t, f.URL, func(c *sms.TencentConfig) {
		c.Timeout, c.Retries = 150*time.Millisecond, 1
	}).Send(context.Background(), testPhone, loginCode(testCode))
	if !errors.Is(err, sms.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v; want ErrUnavailable after the attempts' time-outs", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	f.Close()
	if n := f.Count(); n != 2 {
		t.Fatalf("%d attempts; want Retries+1 = 2", n)
	}
}

func TestTencentRefusesAnswersForAnotherRequest(t *testing.T) {
	for name, respond := range map[string]partnertest.Respond{
		"not JSON":       partnertest.Reply(200, `<html>ok</html>`),
		"no Response":    partnertest.Reply(200, `{"RequestId": "x"}`),
		"no status":      partnertest.Reply(200, `{"Response": {"SendStatusSet": [], "RequestId": "x"}}`),
		"two statuses":   partnertest.Reply(200, `{"Response": {"SendStatusSet": [{"Code": "Ok"}, {"Code": "Ok"}]}}`),
		"no code":        partnertest.Reply(200, `{"Response": {"SendStatusSet": [{"PhoneNumber": "`+testE164+`"}]}}`),
		"another number": partnertest.Reply(200, statusBody("+8613900001111", "", "Ok", "send success")),
		"another session": func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			answer(w, statusBody(testE164, "another-request-session", "Ok", "send success"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, respond)
			err := newTencent(t, f.URL, nil).Send(context.Background(), testPhone, loginCode(testCode))
			if !errors.Is(err, sms.ErrBadResponse) {
				t.Fatalf("%v; want ErrBadResponse", err)
			}
			partnertest.NotARefusal(t, err)
			if n := f.Count(); n != 1 {
				t.Fatalf("%d attempts", n)
			}
		})
	}
}

// Tencent's messages may repeat what was sent; auth logs Send's error
// ("sms send failed", "err", err). Neither the number nor the code reaches
// the error or the log line, whatever went wrong; a 4-digit code is too
// short for partner.Scrub's digit runs and must be scrubbed by value.
func TestTencentErrorsNeverShowTheNumberOrTheCode(t *testing.T) {
	for _, code := range []string{testCode, "4930"} {
		echo := "phone " + testE164 + " (" + testPhone + ", 138-1234-5678) code " + code + " refused"
		for name, respond := range map[string]partnertest.Respond{
			"per-number":  status("LimitExceeded.PhoneNumberDailyLimit", echo),
			"top-level":   replyTop("InvalidParameterValue.TemplateParameterFormatError", echo),
			"code echoed": replyTop("Fail"+code, echo),
			"5xx":         partnertest.Reply(503, topError("InternalError", echo)),
			"4xx":         partnertest.Reply(400, topError(testPhone, echo)),
			"bad answer":  partnertest.Reply(200, `{"Response": {"SendStatusSet": [{"PhoneNumber": "`+testE164+`", "Message": "`+echo+`"}]}}`),
			"time-out":    partnertest.Hang,
		} {
			t.Run(code+"/"+name, func(t *testing.T) {
				f := newFake(t, respond)
				f.want.code = code
				err := newTencent(t, f.URL, func(c *sms.TencentConfig) { c.Timeout, c.Retries = 150*time.Millisecond, 1 }).
					Send(context.Background(), testPhone, loginCode(code))
				if err == nil {
					t.Fatal("Send succeeded")
				}
				var logs bytes.Buffer
				slog.New(slog.NewJSONHandler(&logs, nil)).Error("sms send failed", "err", err)
				for _, s := range []string{err.Error(), logs.String()} {
					for _, secret := range []string{code, testPhone, "12345678", "1234-5678", secretKey} {
						if strings.Contains(s, secret) {
							t.Fatalf("%q shows %q", s, secret)
						}
					}
				}
			})
		}
	}
}

// TestTencentClient runs what every partner client owes on Send.
func TestTencentClient(t *testing.T) {
	partnertest.ClientTests(t, partnertest.Subject{
		Fake:      func(t *testing.T, respond partnertest.Respond) *partnertest.Server { return newFake(t, respond).Server },
		Reply:     partnertest.Reply,
		ErrorBody: func(code, message string) string { return topError(code, message) },
		Call: func(ctx context.Context, t *testing.T, base string, edit func(*partner.Config)) error {
			return newTencent(t, base, func(c *sms.TencentConfig) {
				if edit != nil {
					edit(&c.Config)
				}
			}).Send(ctx, testPhone, loginCode(testCode))
		},
	})
}

func TestNewTencentChecksItsConfiguration(t *testing.T) {
	partnertest.CheckConfigs(t, goodConfig("https://sms.tencentcloudapi.com").Config, func(c partner.Config) error {
		cfg := goodConfig("")
		cfg.Config = c
		_, err := sms.NewTencent(cfg)
		return err
	})
	for name, edit := range map[string]func(*sms.TencentConfig){
		"no SdkAppID":              func(c *sms.TencentConfig) { c.SdkAppID = "" },
		"SdkAppID not digits":      func(c *sms.TencentConfig) { c.SdkAppID = "app-1" },
		"no SignName":              func(c *sms.TencentConfig) { c.SignName = "" },
		"SignName on two lines":    func(c *sms.TencentConfig) { c.SignName = "同\n学" },
		"no Region":                func(c *sms.TencentConfig) { c.Region = "" },
		"Region with a space":      func(c *sms.TencentConfig) { c.Region = "ap guangzhou" },
		"no CodeMinutes":           func(c *sms.TencentConfig) { c.CodeMinutes = 0 },
		"nothing Required":         func(c *sms.TencentConfig) { c.Required = nil },
		"a Required template":      func(c *sms.TencentConfig) { delete(c.Templates, "phone_change_new_code") },
		"a template id not digits": func(c *sms.TencentConfig) { c.Templates[sms.TemplateLoginCode] = "SMS_1" },
		"a template without name":  func(c *sms.TencentConfig) { c.Templates[""] = "1" },
	} {
		cfg := goodConfig("https://sms.tencentcloudapi.com")
		edit(&cfg)
		if _, err := sms.NewTencent(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), secretKey) {
			t.Errorf("%s: %v shows the secret", name, err)
		}
	}
	s, err := sms.NewTencent(goodConfig(sms.DefaultTencentURL))
	if err != nil || s.Name() != sms.DefaultTencentName {
		t.Fatalf("NewTencent(good) = %v, %v", s, err)
	}
}

// tencentRefusal fails the test unless err holds Tencent's refusal of code
// (HTTP 200, as Tencent answers), and returns it.
func tencentRefusal(t *testing.T, err error, code string) *partner.Error {
	t.Helper()
	pe, ok := partner.AsError(err)
	if !ok || pe.Status != http.StatusOK || pe.Code != code {
		t.Fatalf("error %v; want Tencent's refusal %s", err, code)
	}
	return pe
}

func asLimit(err error) *sms.LimitError {
	var le *sms.LimitError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

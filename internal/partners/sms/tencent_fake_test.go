package sms_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
	"github.com/tongxue/tongxue/internal/partners/partner/partnertest"
	"github.com/tongxue/tongxue/internal/partners/sms"
)

// The account the fake Tencent knows.
const (
	secretID    = "AKIDtongxueTestSecretId000000000"
	secretKey   = "tongxue-test-secret-key-000000"
	sdkAppID    = "1400006666"
	signName    = "同学"
	region      = "ap-guangzhou"
	loginTplID  = "1110001"
	revealTplID = "1110002"
	testPhone   = "13812345678"
	testE164    = "+8613812345678"
	testCode    = "493027"
	requestID   = "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"
)

// sent is what the fake expects in a SendSms body.
type sent struct {
	templateID, code string
}

// fakeTencent plays sms.tencentcloudapi.com: it checks the request's shape
// (a wrong shape fails the test), then its TC3 signature with code of its
// own, refusing a wrong one as Tencent does (HTTP 200, AuthFailure.*), and
// answers the rest with respond.
type fakeTencent struct {
	*partnertest.Server
	want sent
}

func newFake(t *testing.T, respond partnertest.Respond) *fakeTencent {
	t.Helper()
	f := &fakeTencent{want: sent{templateID: loginTplID, code: testCode}}
	f.Server = partnertest.New(t, partnertest.Options{Check: f.check,
		Refuse: func(w http.ResponseWriter, _ string) { answer(w, topError("InvalidParameter", "bad request")) }},
		func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			if code, msg := checkTC3(r, body, time.Now()); code != "" {
				answer(w, topError(code, msg))
				return
			}
			respond(n, w, r, body)
		})
	return f
}

// check reports what is not a SendSms request for the expected message.
func (f *fakeTencent) check(r *http.Request, body []byte) string {
	if r.Method != http.MethodPost || r.URL.RequestURI() != "/" {
		return r.Method + " " + r.URL.RequestURI() + "; want POST /"
	}
	for k, want := range map[string]string{"Content-Type": "application/json", sms.HeaderTCAction: "SendSms",
		sms.HeaderTCVersion: "2021-01-11", sms.HeaderTCRegion: region} {
		if got := r.Header.Values(k); len(got) != 1 || got[0] != want {
			return fmt.Sprintf("%s %q; want %q", k, got, want)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return "body is not a JSON object"
	}
	want := []string{"PhoneNumberSet", "SessionContext", "SignName", "SmsSdkAppId", "TemplateId", "TemplateParamSet"}
	if keys := slices.Sorted(maps.Keys(fields)); !slices.Equal(keys, want) {
		return fmt.Sprintf("body fields %v; want %v", keys, want)
	}
	req := decodeRequest(body)
	switch {
	case !slices.Equal(req.PhoneNumberSet, []string{testE164}):
		return "PhoneNumberSet is not the E.164 number"
	case req.SmsSdkAppId != sdkAppID || req.SignName != signName:
		return fmt.Sprintf("SmsSdkAppId %q, SignName %q", req.SmsSdkAppId, req.SignName)
	case req.TemplateId != f.want.templateID:
		return fmt.Sprintf("TemplateId %q; want %q", req.TemplateId, f.want.templateID)
	case !slices.Equal(req.TemplateParamSet, []string{f.want.code, "5"}):
		return "TemplateParamSet is not [code, minutes]"
	case len(req.SessionContext) < 16:
		return "SessionContext is too short to tell requests apart"
	}
	return ""
}

type sendSmsRequest struct {
	PhoneNumberSet, TemplateParamSet                  []string
	SmsSdkAppId, SignName, TemplateId, SessionContext string
}

func decodeRequest(body []byte) sendSmsRequest {
	var req sendSmsRequest
	_ = json.Unmarshal(body, &req)
	return req
}

// checkTC3 checks the Authorization header the way Tencent documents it,
// written out step by step, independently of sms.TC3Signer: it returns
// Tencent's error code and message, or "".
func checkTC3(r *http.Request, body []byte, now time.Time) (code, message string) {
	ts, err := strconv.ParseInt(r.Header.Get(sms.HeaderTCTimestamp), 10, 64)
	if err != nil {
		return "MissingParameter", "X-TC-Timestamp"
	}
	if d := now.Unix() - ts; d > 300 || d < -300 {
		return "AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than five minutes."
	}
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 Credential=")
	parts := strings.Split(rest, ", ")
	if !ok || len(parts) != 3 {
		return "AuthFailure.InvalidAuthorization", "Authorization in the request header is invalid."
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if parts[0] != secretID+"/"+date+"/sms/tc3_request" {
		return "AuthFailure.SecretIdNotFound", "Key does not exist."
	}
	if parts[1] != "SignedHeaders=content-type;host" {
		return "AuthFailure.InvalidAuthorization", "Authorization in the request header is invalid."
	}
	canonical := "POST\n/\n\ncontent-type:" + r.Header.Get("Content-Type") + "\nhost:" + r.Host + "\n\ncontent-type;host\n" +
		partnertest.SHA256Hex(body)
	stringToSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/sms/tc3_request\n" +
		partnertest.SHA256Hex([]byte(canonical))
	secretDate := mac("TC3"+secretKey, date)
	secretService := mac(secretDate, "sms")
	secretSigning := mac(secretService, "tc3_request")
	if parts[2] != "Signature="+hex.EncodeToString([]byte(mac(secretSigning, stringToSign))) {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."
	}
	return "", ""
}

// mac is HMAC-SHA256 over strings, as Tencent's demo writes it.
func mac(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return string(m.Sum(nil))
}

// answer writes a Tencent answer: always HTTP 200.
func answer(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

func topError(code, message string) string {
	b, _ := json.Marshal(map[string]any{"Response": map[string]any{
		"Error": map[string]string{"Code": code, "Message": message}, "RequestId": requestID}})
	return string(b)
}

// status answers with one send status of code for the request's number and
// session, as Tencent does.
func status(code, message string) partnertest.Respond {
	return func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) {
		req := decodeRequest(body)
		answer(w, statusBody(req.PhoneNumberSet[0], req.SessionContext, code, message))
	}
}

func statusBody(e164, session, code, message string) string {
	serial := ""
	if code == "Ok" {
		serial = "2433:"
	}
	b, _ := json.Marshal(map[string]any{"Response": map[string]any{
		"SendStatusSet": []map[string]any{{"SerialNo": serial, "PhoneNumber": e164, "Fee": 1,
			"SessionContext": session, "Code": code, "Message": message, "IsoCode": "CN"}},
		"RequestId": requestID}})
	return string(b)
}

// replyTop answers every request with Tencent's top-level error.
func replyTop(code, message string) partnertest.Respond {
	return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { answer(w, topError(code, message)) }
}

func goodConfig(base string) sms.TencentConfig {
	return sms.TencentConfig{
		Config: partner.Config{BaseURL: base, AppID: secretID, Secret: secretKey,
			Timeout: 2 * time.Second, Retries: 2, Backoff: time.Millisecond},
		SdkAppID: sdkAppID, SignName: signName, Region: region, CodeMinutes: 5,
		Templates: map[string]string{
			sms.TemplateLoginCode: loginTplID, sms.TemplateRevealCode: revealTplID,
			"phone_change_old_code": revealTplID, "phone_change_new_code": loginTplID,
		},
		Required: []string{sms.TemplateLoginCode, sms.TemplateRevealCode, "phone_change_old_code", "phone_change_new_code"},
	}
}

func newTencent(t *testing.T, base string, edit func(*sms.TencentConfig)) *sms.Tencent {
	t.Helper()
	cfg := goodConfig(base)
	if edit != nil {
		edit(&cfg)
	}
	s, err := sms.NewTencent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

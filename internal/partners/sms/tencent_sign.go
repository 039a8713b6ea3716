package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TC3Signer is Tencent Cloud API 3.0's request signature, TC3-HMAC-SHA256
// ("签名方法 v3", https://cloud.tencent.com/document/api/382/52072; the same
// steps as tencentcloud-sdk-go's Client.sendWithSignatureV3 in
// tencentcloud/common/client.go and TencentCloud/signature-process-demo's
// services/sms/signature-v3/golang/demo.go):
//
//	CanonicalRequest = "POST\n/\n\n" + "content-type:" + ct + "\nhost:" + host + "\n\n" +
//	                   "content-type;host\n" + hex(SHA-256(body))
//	StringToSign     = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date + "/" + service + "/tc3_request\n" +
//	                   hex(SHA-256(CanonicalRequest))
//	key              = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request")
//	Authorization    = "TC3-HMAC-SHA256 Credential=" + SecretId + "/" + date + "/" + service +
//	                   "/tc3_request, SignedHeaders=content-type;host, Signature=" + hex(HMAC(key, StringToSign))
//
// date being the UTC date of the timestamp (unix seconds, also sent as
// X-TC-Timestamp), and header values lower-cased and trimmed as the
// canonical form asks. Only content-type and host are signed, as the SDK
// does; the action, version and region travel as X-TC-* headers. Tencent
// refuses a timestamp more than five minutes from its clock
// (AuthFailure.SignatureExpire).
//
// Tencent does not sign its answers, so Verify accepts every answer: what
// authenticates Tencent is TLS to its endpoint (partner.BaseURL insists on
// https). An error answer's body is therefore read for Tencent's code, and a
// 200 answer is trusted once it parses as a SendSms answer for the number
// sent (see Tencent.Send).
type TC3Signer struct {
	SecretID  string
	SecretKey string
	// Service is the credential scope's service, the endpoint's first label:
	// "sms" for sms.tencentcloudapi.com.
	Service string
	Action  string // X-TC-Action: "SendSms"
	Version string // X-TC-Version: "2021-01-11"
	Region  string // X-TC-Region; not sent when empty
}

// Headers of API 3.0 requests.
const (
	HeaderTCAction    = "X-TC-Action"
	HeaderTCVersion   = "X-TC-Version"
	HeaderTCTimestamp = "X-TC-Timestamp"
	HeaderTCRegion    = "X-TC-Region"
)

const tc3Algorithm = "TC3-HMAC-SHA256"

// Sign sets the X-TC-* headers and Authorization on req, whose body is body,
// for the time now. The Content-Type header must be set already: it is
// signed.
func (s TC3Signer) Sign(req *http.Request, body []byte, now time.Time) {
	ts := now.Unix()
	req.Header.Set(HeaderTCAction, s.Action)
	req.Header.Set(HeaderTCVersion, s.Version)
	req.Header.Set(HeaderTCTimestamp, strconv.FormatInt(ts, 10))
	if s.Region != "" {
		req.Header.Set(HeaderTCRegion, s.Region)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	req.Header.Set("Authorization", s.authorization(req.Header.Get("Content-Type"), host, ts, body))
}

// Verify accepts every answer: Tencent does not sign them (see TC3Signer).
func (TC3Signer) Verify(int, http.Header, []byte, time.Time) error { return nil }

// authorization is the Authorization header of a POST to "/" of host with
// the given content type, timestamp and body.
func (s TC3Signer) authorization(contentType, host string, ts int64, body []byte) string {
	date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
	scope := date + "/" + s.Service + "/tc3_request"
	const signedHeaders = "content-type;host"
	canonical := "POST\n/\n\n" +
		"content-type:" + canonicalValue(contentType) + "\n" +
		"host:" + canonicalValue(host) + "\n\n" +
		signedHeaders + "\n" +
		sha256Hex(body)
	toSign := tc3Algorithm + "\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	key := hmacSHA256([]byte("TC3"+s.SecretKey), date)
	key = hmacSHA256(key, s.Service)
	key = hmacSHA256(key, "tc3_request")
	return tc3Algorithm + " Credential=" + s.SecretID + "/" + scope +
		", SignedHeaders=" + signedHeaders + ", Signature=" + hex.EncodeToString(hmacSHA256(key, toSign))
}

func canonicalValue(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

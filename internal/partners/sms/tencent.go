package sms

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// Tencent Cloud SMS (腾讯云短信), API 3.0 action SendSms, version 2021-01-11:
// https://cloud.tencent.com/document/api/382/55981 (request and answer
// fields as tencentcloud-sdk-go's tencentcloud/sms/v20210111/models.go,
// SendSmsRequestParams, SendSmsResponseParams and SendStatus; codes as its
// errors.go). One POST of JSON to "/" of the endpoint, signed with TC3
// (TC3Signer):
//
//	{"PhoneNumberSet":["+8613812345678"],"SmsSdkAppId":"1400006666","SignName":"同学",
//	 "TemplateId":"1234567","TemplateParamSet":["493027","5"],"SessionContext":"…"}
//
// Tencent answers HTTP 200 whether or not it sent the message, with
// {"Response":{"Error":{"Code","Message"},"RequestId"}} when it refused the
// request (a bad signature, an unapproved template, no balance) and
// otherwise {"Response":{"SendStatusSet":[{"PhoneNumber","SessionContext",
// "Code","Message",…}],"RequestId"}}, Code "Ok" for a message sent.

// Defaults and constants of the protocol.
const (
	DefaultTencentURL     = "https://sms.tencentcloudapi.com"
	DefaultTencentName    = "tencent"
	DefaultTencentTimeout = 5 * time.Second

	tencentService = "sms"
	tencentAction  = "SendSms"
	tencentVersion = "2021-01-11"
	tencentPartner = "SMS gateway"
	// An answer for one number is well under 1 KiB.
	maxTencentAnswerBytes = 16 << 10
)

// TencentConfig configures Tencent. In the embedded partner.Config, AppID is
// the API key's SecretId and Secret its SecretKey, BaseURL the endpoint
// (DefaultTencentURL), Name defaults to DefaultTencentName and Timeout to
// DefaultTencentTimeout. Retries are for network errors, time-outs and 5xx
// answers only: after a time-out Tencent may have sent the message, so a
// retry may deliver the same code twice.
type TencentConfig struct {
	partner.Config
	// SdkAppID is the SMS application's SmsSdkAppId, e.g. "1400006666".
	SdkAppID string
	// SignName is the approved signature (短信签名) shown as 【…】, e.g. "同学".
	SignName string
	// Region is the API region sent as X-TC-Region: "ap-guangzhou",
	// "ap-beijing" or "ap-nanjing".
	Region string
	// Templates maps Message.Template to an approved template's
	// TemplateId. Every template takes two parameters: {1} the code, {2}
	// the minutes it is valid. Names may share an id.
	Templates map[string]string
	// Required lists the templates the server sends: each must have an id,
	// so a missing one stops start-up rather than a log-in.
	Required []string
	// CodeMinutes is the template's second parameter: how long a code is
	// valid, in minutes.
	CodeMinutes int
}

// Tencent sends messages with Tencent Cloud SMS. Safe for concurrent use.
type Tencent struct {
	c         *partner.Client
	sdkAppID  string
	signName  string
	templates map[string]string
	minutes   string
}

// ErrUnavailable is wrapped by the error of a Send whose every attempt
// failed with a network error, a time-out or a 5xx answer.
var ErrUnavailable = partner.ErrGaveUp

// ErrBadResponse is wrapped by the error of a 200 answer that is not a
// SendSms answer for the message sent. It is not retried.
var ErrBadResponse = partner.ErrBadResponse

// ErrNoTemplate is wrapped by the error of a Send of a template that has
// no id: nothing is sent.
var ErrNoTemplate = errors.New("the message's template has no Tencent template id")

var (
	digitsPattern = regexp.MustCompile(`^[0-9]{1,20}$`)
	regionPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	uuidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// NewTencent checks cfg and returns a sender. Its errors name the setting
// and never show the secret.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	cfg.Name = cmp.Or(cfg.Name, DefaultTencentName)
	bad := func(format string, args ...any) error {
		return fmt.Errorf(tencentPartner+": "+format, args...)
	}
	switch {
	case !digitsPattern.MatchString(cfg.SdkAppID):
		return nil, bad("SdkAppID must be the SmsSdkAppId, digits")
	case cfg.SignName == "" || !utf8.ValidString(cfg.SignName) || strings.IndexFunc(cfg.SignName, unicode.IsControl) >= 0:
		return nil, bad("SignName must be the approved signature, on one line")
	case !regionPattern.MatchString(cfg.Region):
		return nil, bad("Region must be an API region such as ap-guangzhou")
	case cfg.CodeMinutes < 1:
		return nil, bad("CodeMinutes must be at least 1")
	case len(cfg.Required) == 0:
		return nil, bad("Required must list the templates the server sends")
	}
	templates := make(map[string]string, len(cfg.Templates))
	for name, id := range cfg.Templates {
		if name == "" || !digitsPattern.MatchString(id) {
			return nil, bad("template %q: the id must be a TemplateId, digits", name)
		}
		templates[name] = id
	}
	for _, name := range cfg.Required {
		if _, ok := templates[name]; !ok {
			return nil, bad("template %q has no TemplateId", name)
		}
	}
	c, err := partner.New(cfg.Config, partner.Protocol{
		Partner: tencentPartner, UserAgent: "tongxue-sms/1",
		DefaultTimeout: DefaultTencentTimeout, MaxAnswerBytes: maxTencentAnswerBytes,
		Signer: TC3Signer{SecretID: cfg.AppID, SecretKey: cfg.Secret, Service: tencentService,
			Action: tencentAction, Version: tencentVersion, Region: cfg.Region},
		ErrorBody: TencentErrorBody,
	})
	if err != nil {
		return nil, err
	}
	return &Tencent{c: c, sdkAppID: cfg.SdkAppID, signName: cfg.SignName, templates: templates,
		minutes: strconv.Itoa(cfg.CodeMinutes)}, nil
}

// Name is TencentConfig.Name.
func (t *Tencent) Name() string { return t.c.Name() }

type tencentRequest struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet"`
	// SessionContext is echoed in the answer's status: it ties the status
	// to this request (and a delivery receipt to this Send).
	SessionContext string `json:"SessionContext"`
}

type tencentAnswer struct {
	Response *struct {
		Error         *tencentError   `json:"Error"`
		RequestID     string          `json:"RequestId"`
		SendStatusSet []tencentStatus `json:"SendStatusSet"`
	} `json:"Response"`
}

type tencentError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type tencentStatus struct {
	PhoneNumber    string `json:"PhoneNumber"`
	SessionContext string `json:"SessionContext"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
}

// Send sends m to the normalised mainland number p. A message that cannot
// be sent as it is (no template id, no code, not a normalised number) is
// refused without a call. Tencent's refusals are *partner.Error with Status
// 200 and Tencent's code, wrapped in a *LimitError for the number's
// frequency limits and with ErrUndeliverable for a number Tencent will not
// deliver to; Retryable is set for Tencent's InternalError.* and
// RequestLimitExceeded, which are not retried here all the same (Tencent
// answered, and may have sent the message). No error holds the number or
// the code.
func (t *Tencent) Send(ctx context.Context, p string, m Message) error {
	const op = "send"
	if err := ctx.Err(); err != nil {
		return t.c.Fail(op, err)
	}
	id, ok := t.templates[m.Template]
	if !ok {
		return t.c.Fail(op, fmt.Errorf("%w: %q", ErrNoTemplate, m.Template))
	}
	code := m.Params[ParamCode]
	if code == "" {
		return t.c.Fail(op, errors.New("the message has no code"))
	}
	if n, err := phone.Normalize(p); err != nil || n != p {
		return t.c.Fail(op, errors.New("the number is not a normalised mainland mobile number"))
	}
	e164 := "+86" + p
	session := rand.Text()
	body, err := json.Marshal(tencentRequest{
		PhoneNumberSet: []string{e164}, SmsSdkAppID: t.sdkAppID, SignName: t.signName,
		TemplateID: id, TemplateParamSet: []string{code, t.minutes}, SessionContext: session,
	})
	if err != nil {
		return t.c.Fail(op, errors.New("the request cannot be encoded"))
	}
	personal := []string{p, e164, code}
	data, err := t.c.Do(ctx, partner.Call{Op: op, Method: http.MethodPost, Target: "/", Body: body, Personal: personal})
	if err != nil {
		return err
	}
	if err := result(data, e164, session, personal); err != nil {
		return t.c.Fail(op, err)
	}
	return nil
}

// result reads a 200 answer. Its errors say what is wrong, never what the
// answer held beyond Tencent's (scrubbed) code and message.
func result(data []byte, e164, session string, personal []string) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadResponse, what) }
	var a tencentAnswer
	if err := json.Unmarshal(data, &a); err != nil || a.Response == nil {
		return bad("not a JSON object with a Response")
	}
	r := a.Response
	if r.Error != nil {
		return refusal(r.Error.Code, r.Error.Message, r.RequestID, personal)
	}
	if len(r.SendStatusSet) != 1 {
		return bad(fmt.Sprintf("%d send statuses for one number", len(r.SendStatusSet)))
	}
	st := r.SendStatusSet[0]
	// An empty echo is not a mix-up; another number or session is.
	if st.PhoneNumber != "" && st.PhoneNumber != e164 || st.SessionContext != "" && st.SessionContext != session {
		return bad("the send status is not this request's")
	}
	switch st.Code {
	case "Ok":
		return nil
	case "":
		return bad("the send status has no code")
	}
	return refusal(st.Code, st.Message, r.RequestID, personal)
}

// refusal is Tencent's refusal of code, classified for the caller.
func refusal(code, message, requestID string, personal []string) error {
	code = tencentCode(code, personal)
	pe := &partner.Error{Partner: tencentPartner, Status: http.StatusOK, Code: code,
		Message: partner.Scrub(message, personal),
		// Tencent's own faults and its API-wide rate limit may pass later.
		Retryable: strings.HasPrefix(code, "InternalError") || code == "RequestLimitExceeded"}
	var err error = pe
	if wait, ok := numberLimits[pe.Code]; ok {
		err = &LimitError{RetryAfter: wait, Err: pe}
	} else if undeliverable[pe.Code] {
		err = fmt.Errorf("%w: %w", ErrUndeliverable, pe)
	}
	// Tencent's support finds a request by its id; only a UUID is kept.
	if uuidPattern.MatchString(requestID) && !holdsAny(requestID, personal) {
		err = fmt.Errorf("%w (request %s)", err, requestID)
	}
	return err
}

// tencentCode returns Tencent's error code if it looks like one (dotted
// words: "LimitExceeded.PhoneNumberDailyLimit") and holds none of values;
// "" otherwise. partner.ErrorCode would drop Tencent's longer codes, whose
// 32-letter runs look like encoded data to partner.Scrub.
func tencentCode(code string, values []string) string {
	if len(code) > 96 || !codePattern.MatchString(code) || digitRun.MatchString(code) || holdsAny(code, values) {
		return ""
	}
	return code
}

var (
	codePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$`)
	digitRun    = regexp.MustCompile(`[0-9]{3}`)
)

// holdsAny reports whether s holds one of values, in any letter case.
func holdsAny(s string, values []string) bool {
	for _, v := range values {
		if v != "" && strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// numberLimits are Tencent's per-number frequency limits (errors.go of
// sms/v20210111) and the length of each one's window; 0 for the console's
// frequency policy, whose window Tencent does not say.
var numberLimits = map[string]time.Duration{
	"LimitExceeded.PhoneNumberThirtySecondLimit":     30 * time.Second,
	"LimitExceeded.PhoneNumberOneHourLimit":          time.Hour,
	"LimitExceeded.PhoneNumberDailyLimit":            24 * time.Hour,
	"LimitExceeded.PhoneNumberSameContentDailyLimit": 24 * time.Hour,
	"LimitExceeded.DeliveryFrequencyLimit":           0,
}

// undeliverable are Tencent's codes for a number it will not deliver to:
// opted out (免打扰名单) or not a mobile number.
var undeliverable = map[string]bool{
	"FailedOperation.PhoneNumberInBlacklist":     true,
	"FailedOperation.PhoneNumberParseFail":       true,
	"InvalidParameterValue.IncorrectPhoneNumber": true,
}

// TencentErrorBody reads API 3.0's error shape,
// {"Response":{"Error":{"Code","Message"},"RequestId"}}, from a non-200
// answer (Tencent itself answers 200; a gateway in front of it may not).
func TencentErrorBody(data []byte) (code, message string, ok bool) {
	var a tencentAnswer
	if json.Unmarshal(data, &a) != nil || a.Response == nil || a.Response.Error == nil {
		return "", "", false
	}
	return a.Response.Error.Code, a.Response.Error.Message, true
}

var _ Sender = (*Tencent)(nil)
var _ partner.Signer = TC3Signer{}

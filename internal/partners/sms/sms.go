// Package sms sends text messages through a gateway: Tencent Cloud SMS
// (Tencent, tencent.go) in production, or the sandbox, which prints
// messages to the console (development) or keeps them in memory (tests,
// Capture). The gateway client is built on partner.Client (config, signing
// hook, retries, partner.Error), like the other parties.
package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tongxue/tongxue/internal/infra/mask"
)

// Message is a templated SMS, as SMS gateways in China require.
type Message struct {
	Template string            // e.g. TemplateLoginCode
	Params   map[string]string // template parameters
}

// Templates; each carries the parameter ParamCode.
const (
	TemplateLoginCode      = "login_code"
	TemplateRevealCode     = "reveal_code"
	TemplatePhoneChangeOld = "phone_change_old_code" // to the current number
	TemplatePhoneChangeNew = "phone_change_new_code" // to the number it moves to
)

// Templates are every template the server sends: a gateway needs an
// approved template id for each before it starts.
var Templates = []string{TemplateLoginCode, TemplateRevealCode, TemplatePhoneChangeOld, TemplatePhoneChangeNew}

// ParamCode is the parameter holding a template's code.
const ParamCode = "code"

// Sender delivers a message to a normalised mainland mobile number. A
// gateway's errors never hold the number or the code; besides partner
// errors they may wrap *LimitError or ErrUndeliverable, which say the
// number, not the gateway, is the problem.
type Sender interface {
	Send(ctx context.Context, phone string, m Message) error
}

// LimitError is a gateway's refusal to send more messages to a number for
// now: its own per-number limits, which ours should make rare.
type LimitError struct {
	// RetryAfter is the length of the gateway's window (30 s, an hour, a
	// day): an upper bound of the wait. 0 when the gateway did not say.
	RetryAfter time.Duration
	Err        error // the gateway's answer, a *partner.Error
}

func (e *LimitError) Error() string {
	return "the gateway's limit of messages to this number is reached: " + e.Err.Error()
}

func (e *LimitError) Unwrap() error { return e.Err }

// ErrUndeliverable is wrapped by the error of a gateway that will not
// deliver to the number: the user opted out (replied TD) or the gateway
// does not take it for a mobile number.
var ErrUndeliverable = errors.New("the gateway does not deliver to this number")

// Sandbox is the development sender: it delivers nothing and prints each
// message with the number masked, so the developer can log in.
type Sandbox struct {
	mu  sync.Mutex
	out io.Writer
}

// NewSandbox prints to out.
func NewSandbox(out io.Writer) *Sandbox { return &Sandbox{out: out} }

// Send prints the message.
func (s *Sandbox) Send(_ context.Context, phone string, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := fmt.Fprintf(s.out, "[sms sandbox] to %s: %s\n", mask.Phone(phone), Render(m))
	return err
}

// Render is the text a user would receive.
func Render(m Message) string {
	switch m.Template {
	case TemplateLoginCode:
		return fmt.Sprintf("【同学】您的登录验证码是 %s，5 分钟内有效。如非本人操作，请忽略。", m.Params[ParamCode])
	case TemplateRevealCode:
		return fmt.Sprintf("【同学】您正在查看个人敏感信息，验证码 %s，5 分钟内有效。如非本人操作，请立即修改账户安全设置。", m.Params[ParamCode])
	case TemplatePhoneChangeOld:
		return fmt.Sprintf("【同学】您正在更换账号绑定的手机号，验证码 %s，5 分钟内有效。请勿将验证码告诉他人；如非本人操作，请立即修改账户安全设置。", m.Params[ParamCode])
	case TemplatePhoneChangeNew:
		return fmt.Sprintf("【同学】您正在将此手机号绑定到同学账号，验证码 %s，5 分钟内有效。如非本人操作，请忽略。", m.Params[ParamCode])
	default:
		return m.Template
	}
}

// Capture keeps messages in memory for tests.
type Capture struct {
	mu   sync.Mutex
	sent []Sent
}

// Sent is one captured message.
type Sent struct {
	Phone   string
	Message Message
}

// Send records the message.
func (c *Capture) Send(_ context.Context, phone string, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, Sent{Phone: phone, Message: m})
	return nil
}

// LastCode returns the newest code sent to phone, or "".
func (c *Capture) LastCode(phone string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.sent) - 1; i >= 0; i-- {
		if c.sent[i].Phone == phone {
			return c.sent[i].Message.Params[ParamCode]
		}
	}
	return ""
}

// Count returns how many messages went to phone.
func (c *Capture) Count(phone string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.sent {
		if s.Phone == phone {
			n++
		}
	}
	return n
}

// Package sms sends text messages through a gateway. Only the sandbox exists
// yet: it prints messages to the console (development) or keeps them in
// memory (tests). A real gateway will implement Sender on partner.Client
// (config, signing hook, retries, partner.Error), like the other parties.
package sms

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/tongxue/tongxue/internal/infra/mask"
)

// Message is a templated SMS, as SMS gateways in China require.
type Message struct {
	Template string            // e.g. TemplateLoginCode
	Params   map[string]string // template parameters
}

// Templates; each carries the parameter "code".
const (
	TemplateLoginCode  = "login_code"
	TemplateRevealCode = "reveal_code"
)

// Sender delivers a message to a normalised mainland mobile number.
type Sender interface {
	Send(ctx context.Context, phone string, m Message) error
}

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
		return fmt.Sprintf("【同学】您的登录验证码是 %s，5 分钟内有效。如非本人操作，请忽略。", m.Params["code"])
	case TemplateRevealCode:
		return fmt.Sprintf("【同学】您正在查看个人敏感信息，验证码 %s，5 分钟内有效。如非本人操作，请立即修改账户安全设置。", m.Params["code"])
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
			return c.sent[i].Message.Params["code"]
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

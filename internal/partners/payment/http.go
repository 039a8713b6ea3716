package payment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tongxue/tongxue/internal/partners/partner"
)

// HTTPConfig configures an HTTPClient (see partner.Config): Name is
// recorded on intents and callbacks (e.g. "wechat"), AppID is the
// platform's merchant id at the provider (mchid), Secret the shared HMAC
// key that signs requests and callbacks, and Timeout defaults to
// DefaultTimeout. 4xx answers are never retried.
type HTTPConfig = partner.Config

// DefaultTimeout is HTTPConfig.Timeout's default, per attempt.
const DefaultTimeout = 10 * time.Second

// maxResponseBytes bounds what is read of a provider answer.
const maxResponseBytes = 64 << 10

// PathTransactions is where payments are opened, relative to the base URL.
const PathTransactions = "/v3/pay/transactions"

// HTTPClient is the real provider, reached over HTTPS.
type HTTPClient struct {
	c      *partner.Client
	mchid  string
	signer signer
}

// NewHTTP checks cfg and builds the provider. It returns an error rather
// than panicking because cfg comes from the environment: a missing secret
// must stop start-up with a message.
func NewHTTP(cfg HTTPConfig) (*HTTPClient, error) {
	s := signer{secret: []byte(cfg.Secret)}
	c, err := partner.New(cfg, partner.Protocol{
		Partner: "payment provider", UserAgent: "tongxue-payment/1", DefaultTimeout: DefaultTimeout,
		MaxAnswerBytes: maxResponseBytes, ErrorBody: partner.FlatErrorBody,
		Signer: partner.SignRequests(func(req *http.Request, body []byte, now time.Time) {
			req.Header.Set(HeaderMchid, cfg.AppID)
			s.sign(req.Header, body, now)
		}),
	})
	if err != nil {
		return nil, err
	}
	return &HTTPClient{c: c, mchid: cfg.AppID, signer: s}, nil
}

// Name returns the configured name.
func (p *HTTPClient) Name() string { return p.c.Name() }

// wireRequest is the body sent to the provider: every field it has is listed
// here and filled from a Request, nothing else (see the package comment).
type wireRequest struct {
	MchID       string     `json:"mchid"`
	OutTradeNo  string     `json:"out_trade_no"`
	Amount      wireAmount `json:"amount"`
	Description string     `json:"description"`
	NotifyURL   string     `json:"notify_url"`
}

type wireAmount struct {
	Total    int64  `json:"total"` // fen
	Currency string `json:"currency"`
}

// CreatePayment opens a payment. Network errors, timeouts and 5xx answers
// are retried with backoff, always with the order number as Idempotency-Key,
// so a retry of a request the provider did receive returns the same payment
// instead of a second one. After a network error or timeout on the last
// attempt the payment's state is unknown: calling again later is safe.
// Errors never include the request body.
func (p *HTTPClient) CreatePayment(ctx context.Context, r Request) (*Intent, error) {
	const op = "create payment"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wireRequest{
		MchID:       p.mchid,
		OutTradeNo:  r.OrderNo,
		Amount:      wireAmount{Total: r.AmountFen, Currency: "CNY"},
		Description: r.Description,
		NotifyURL:   r.NotifyURL,
	})
	if err != nil {
		return nil, p.c.Fail(op, err)
	}
	data, err := p.c.Do(ctx, partner.Call{Op: op, Method: http.MethodPost, Target: PathTransactions, Body: body,
		Header: http.Header{HeaderIdempotencyKey: {r.OrderNo}}})
	if err != nil {
		return nil, err
	}
	in, err := p.decodeIntent(data)
	if err != nil {
		return nil, p.c.Fail(op, err)
	}
	return in, nil
}

// decodeIntent reads a 200 answer.
func (p *HTTPClient) decodeIntent(data []byte) (*Intent, error) {
	var ok struct {
		PrepayID string `json:"prepay_id"`
		PayURL   string `json:"pay_url"`
	}
	if err := json.Unmarshal(data, &ok); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if ok.PrepayID == "" {
		return nil, fmt.Errorf("%w: no prepay_id", ErrBadResponse)
	}
	// The app opens PayURL: nothing but a web address may come through.
	if u, err := url.Parse(ok.PayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: pay_url is not an http(s) URL", ErrBadResponse)
	}
	return &Intent{Provider: p.Name(), ProviderRef: ok.PrepayID, PayURL: ok.PayURL}, nil
}

// VerifyCallback authenticates a callback of the provider; see Provider.
func (p *HTTPClient) VerifyCallback(header http.Header, body []byte, now time.Time) (*Callback, error) {
	return verifyCallback(p.Name(), p.signer, header, body, now)
}

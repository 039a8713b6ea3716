package payment

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tongxue/tongxue/internal/partner"
)

// HTTPConfig configures an HTTPProvider.
type HTTPConfig struct {
	Name       string        // recorded on intents and callbacks, e.g. "wechat"
	BaseURL    string        // https://…; plain http only for a loopback host (tests, a local fake)
	MerchantID string        // the platform's merchant id at the provider (mchid)
	Secret     []byte        // shared HMAC key, signs requests and callbacks
	Client     *http.Client  // nil: a client that does not follow redirects
	Timeout    time.Duration // per attempt; 0 means DefaultTimeout
	// Retries is how many more attempts follow a network error, a timeout
	// or a 5xx; 0 means one attempt. 4xx answers are never retried.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next one
	// and jittered; 0 means 200ms.
	Backoff time.Duration
}

// Defaults of HTTPConfig.
const (
	DefaultTimeout = 10 * time.Second // per attempt
	DefaultBackoff = 200 * time.Millisecond
)

// maxResponseBytes bounds what is read of a provider answer.
const maxResponseBytes = 64 << 10

// HTTPProvider is the real provider, reached over HTTPS.
type HTTPProvider struct {
	name     string
	endpoint string
	mchid    string
	signer   signer
	client   *http.Client
	timeout  time.Duration
	retries  int
	backoff  time.Duration
}

// NewHTTP checks cfg and builds the provider. It returns an error rather
// than panicking because cfg comes from the environment: a missing secret
// must stop start-up with a message.
func NewHTTP(cfg HTTPConfig) (*HTTPProvider, error) {
	s, err := newSigner(cfg.Secret)
	if err != nil {
		return nil, err
	}
	base, err := partner.BaseURL(cfg.BaseURL)
	switch {
	case cfg.Name == "":
		return nil, errors.New("payment: provider name is empty")
	case !partner.ValidAppID(cfg.MerchantID):
		return nil, errors.New("payment: merchant id must be printable ASCII without spaces")
	case err != nil:
		return nil, fmt.Errorf("payment: %w", err)
	case cfg.Timeout < 0 || cfg.Retries < 0 || cfg.Backoff < 0:
		return nil, errors.New("payment: negative timeout, retries or backoff")
	}
	p := &HTTPProvider{
		name:     cfg.Name,
		endpoint: base + "/v3/pay/transactions",
		mchid:    cfg.MerchantID,
		signer:   s,
		client:   partner.Client(cfg.Client),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		retries:  cfg.Retries,
		backoff:  cmp.Or(cfg.Backoff, DefaultBackoff),
	}
	return p, nil
}

// Name returns the configured name.
func (p *HTTPProvider) Name() string { return p.name }

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
func (p *HTTPProvider) CreatePayment(ctx context.Context, r Request) (*Intent, error) {
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
		return nil, fmt.Errorf("payment %s: %w", p.name, err)
	}
	in, err := partner.Retry(ctx, p.retries, p.backoff, func() (*Intent, bool, error) {
		return p.attempt(ctx, r.OrderNo, body)
	})
	if err != nil {
		return nil, fmt.Errorf("payment %s: create payment: %w", p.name, err)
	}
	return in, nil
}

// attempt sends body once, under its own timeout, and says whether a
// failure may be retried.
func (p *HTTPProvider) attempt(ctx context.Context, key string, body []byte) (_ *Intent, retry bool, _ error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderMchid, p.mchid)
	req.Header.Set(HeaderIdempotencyKey, key)
	// Signed per attempt: a retry gets a fresh timestamp and nonce, which
	// the provider's own skew and replay checks require.
	p.signer.sign(req.Header, body, time.Now())

	resp, err := p.client.Do(req)
	if err != nil {
		return nil, true, err // *url.Error: names the URL, never the body
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, true, err // cut off or timed out mid-answer
	}
	if len(data) > maxResponseBytes {
		return nil, false, fmt.Errorf("%w: answer longer than %d bytes", ErrBadResponse, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		e := &ProviderError{HTTPStatus: resp.StatusCode}
		var b struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &b) == nil { // logged: kept short and clean
			e.Code, e.Message = partner.ErrorCode(b.Code, nil), partner.Scrub(b.Message, nil)
		}
		return nil, e.Retryable(), e
	}
	var ok struct {
		PrepayID string `json:"prepay_id"`
		PayURL   string `json:"pay_url"`
	}
	if err := json.Unmarshal(data, &ok); err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if ok.PrepayID == "" {
		return nil, false, fmt.Errorf("%w: no prepay_id", ErrBadResponse)
	}
	// The app opens PayURL: nothing but a web address may come through.
	if u, err := url.Parse(ok.PayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false, fmt.Errorf("%w: pay_url is not an http(s) URL", ErrBadResponse)
	}
	return &Intent{Provider: p.name, ProviderRef: ok.PrepayID, PayURL: ok.PayURL}, false, nil
}

// VerifyCallback authenticates a callback of the provider; see Provider.
func (p *HTTPProvider) VerifyCallback(header http.Header, body []byte, now time.Time) (*Callback, error) {
	return verifyCallback(p.name, p.signer, header, body, now)
}

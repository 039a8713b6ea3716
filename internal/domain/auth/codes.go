package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/mask"
	"github.com/tongxue/tongxue/internal/infra/ratelimit"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/partners/sms"
)

// SMS codes serve logging in, the fresh verification before revealing one's
// own masked data, and changing the number (phonechange.go). A code works
// only for its purpose; all share the per-number limits, so one cannot be
// used to flood the others.

// Ticket tells the app what happened to its code request.
type Ticket struct {
	SentTo      string // masked number
	ExpiresIn   int    // seconds
	ResendAfter int    // seconds
}

var templates = map[logincode.Purpose]string{
	logincode.PurposeLOGIN:     sms.TemplateLoginCode,
	logincode.PurposeREVEAL:    sms.TemplateRevealCode,
	logincode.PurposePHONE_OLD: sms.TemplatePhoneChangeOld, // phonechange.go
	logincode.PurposePHONE_NEW: sms.TemplatePhoneChangeNew,
}

// sendCode issues a fresh code for purpose to the normalised number p.
func (s *Service) sendCode(ctx context.Context, p string, purpose logincode.Purpose) (*Ticket, error) {
	if err := s.limiter.Allow(ctx, ruleCodePerIP, s.ipHash(ctx)); err != nil {
		return nil, err
	}
	ph := s.keys.Index.Hash("phone", p)
	now := s.now()
	last, err := s.client.LoginCode.Query().
		Where(logincode.PhoneHash(ph), logincode.CreatedAtGT(now.Add(-ResendCooldown))).
		Order(ent.Desc(logincode.FieldCreatedAt)).First(ctx)
	switch {
	case err == nil:
		wait := last.CreatedAt.Add(ResendCooldown).Sub(now)
		return nil, apperr.RateLimited(int(wait.Seconds()) + 1)
	case !ent.IsNotFound(err):
		return nil, err
	}
	for _, r := range []ratelimit.Rule{ruleCodePerPhoneMinute, ruleCodePerPhoneHour, ruleCodePerPhoneDay} {
		if err := s.limiter.Allow(ctx, r, ph); err != nil {
			return nil, err
		}
	}
	code, err := randomCode()
	if err != nil {
		return nil, err
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Only the newest code of a purpose works.
		if _, err := tx.LoginCode.Update().
			Where(logincode.PhoneHash(ph), logincode.PurposeEQ(purpose), logincode.ConsumedAtIsNil()).
			SetConsumedAt(now).Save(ctx); err != nil {
			return err
		}
		return tx.LoginCode.Create().
			SetPhoneHash(ph).SetPurpose(purpose).SetCodeHash(s.codeHash(ph, purpose, code)).
			SetCreatedAt(now).SetExpiresAt(now.Add(CodeTTL)).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	msg := sms.Message{Template: templates[purpose], Params: map[string]string{"code": code}}
	if err := s.sender.Send(ctx, p, msg); err != nil {
		s.log.ErrorContext(ctx, "sms send failed", "err", err)
		return nil, apperr.New(apperr.CodeSMSUnavailable, "the code could not be sent; try again shortly")
	}
	return &Ticket{SentTo: mask.Phone(p), ExpiresIn: int(CodeTTL.Seconds()), ResendAfter: int(ResendCooldown.Seconds())}, nil
}

// checkCode finds the live code of purpose for the number hash and checks
// it. A wrong code costs one of MaxCodeTries; the caller consumes a right one.
func (s *Service) checkCode(ctx context.Context, ph []byte, purpose logincode.Purpose, code string) (*ent.LoginCode, error) {
	if len(code) != CodeLength || strings.Trim(code, "0123456789") != "" {
		return nil, apperr.BadField("code", "the code has %d digits", CodeLength)
	}
	lc, err := s.client.LoginCode.Query().
		Where(logincode.PhoneHash(ph), logincode.PurposeEQ(purpose),
			logincode.ConsumedAtIsNil(), logincode.ExpiresAtGT(s.now())).
		Order(ent.Desc(logincode.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, codeError("CODE_EXPIRED", "the code has expired or was never sent; request a new one")
	} else if err != nil {
		return nil, err
	}
	if lc.Attempts >= MaxCodeTries {
		return nil, codeError("TOO_MANY_ATTEMPTS", "too many wrong codes; request a new one")
	}
	if subtle.ConstantTimeCompare(lc.CodeHash, s.codeHash(ph, purpose, code)) != 1 {
		return nil, s.wrongCode(ctx, lc)
	}
	return lc, nil
}

// consumeCode uses a checked code up, exactly once even against a racing
// request.
func consumeCode(ctx context.Context, tx *ent.Tx, lc *ent.LoginCode, now time.Time) error {
	n, err := tx.LoginCode.Update().
		Where(logincode.ID(lc.ID), logincode.ConsumedAtIsNil()).
		SetConsumedAt(now).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return codeError("CODE_EXPIRED", "the code was already used; request a new one")
	}
	return nil
}

func (s *Service) wrongCode(ctx context.Context, lc *ent.LoginCode) error {
	// Atomic: concurrent wrong guesses each cost a try.
	if _, err := s.client.LoginCode.Update().
		Where(logincode.ID(lc.ID), logincode.AttemptsLT(MaxCodeTries)).
		AddAttempts(1).Save(ctx); err != nil {
		return err
	}
	after, err := s.client.LoginCode.Get(ctx, lc.ID)
	if err != nil {
		return err
	}
	left := max(MaxCodeTries-after.Attempts, 0)
	if left == 0 {
		return codeError("TOO_MANY_ATTEMPTS", "too many wrong codes; request a new one")
	}
	return codeError("CODE_INVALID", "wrong code").With("attemptsLeft", left)
}

func codeError(reason, msg string) *apperr.Error {
	return apperr.BadField("code", "%s", msg).With("reason", reason)
}

func (s *Service) codeHash(phoneHash []byte, purpose logincode.Purpose, code string) []byte {
	return s.keys.Index.Hash("sms-code", hex.EncodeToString(phoneHash)+":"+string(purpose)+":"+code)
}

func randomCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

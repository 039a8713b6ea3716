// Package auth logs people in with a phone number and an SMS code (A1),
// keeps minors out (A4) and manages session tokens (A5).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/mask"
	"github.com/tongxue/tongxue/internal/phone"
	"github.com/tongxue/tongxue/internal/ratelimit"
	"github.com/tongxue/tongxue/internal/reqinfo"
	"github.com/tongxue/tongxue/internal/sms"
	"github.com/tongxue/tongxue/internal/store"
	"github.com/tongxue/tongxue/internal/vault"
)

// Service is the account domain.
type Service struct {
	client  *ent.Client
	keys    vault.Keys
	sender  sms.Sender
	limiter *ratelimit.Limiter
	now     func() time.Time
	log     *slog.Logger
}

// New wires the service; now is time.Now outside tests.
func New(client *ent.Client, keys vault.Keys, sender sms.Sender, now func() time.Time, log *slog.Logger) *Service {
	return &Service{client: client, keys: keys, sender: sender,
		limiter: ratelimit.New(client, now), now: now, log: log}
}

// Column names double as AEAD associated data for sealed values.
const phoneColumn = "users.phone"

// SealPhone returns the stored forms of a normalised phone number: its keyed
// hash (look-up, uniqueness) and its ciphertext.
func SealPhone(keys vault.Keys, p string) (hash, sealed []byte) {
	return keys.Index.Hash("phone", p), keys.Ring.Seal([]byte(p), phoneColumn)
}

// Ticket tells the app what happened to its code request.
type Ticket struct {
	SentTo      string // masked number
	ExpiresIn   int    // seconds
	ResendAfter int    // seconds
}

// RequestLoginCode sends a fresh 6-digit code to a mainland mobile number.
func (s *Service) RequestLoginCode(ctx context.Context, rawPhone string) (*Ticket, error) {
	p, err := phone.Normalize(rawPhone)
	if err != nil {
		return nil, apperr.BadField("phone", "%s", err.Error())
	}
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
		// Only the newest code works.
		if _, err := tx.LoginCode.Update().
			Where(logincode.PhoneHash(ph), logincode.ConsumedAtIsNil()).
			SetConsumedAt(now).Save(ctx); err != nil {
			return err
		}
		return tx.LoginCode.Create().
			SetPhoneHash(ph).SetCodeHash(s.codeHash(ph, code)).
			SetCreatedAt(now).SetExpiresAt(now.Add(CodeTTL)).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	msg := sms.Message{Template: sms.TemplateLoginCode, Params: map[string]string{"code": code}}
	if err := s.sender.Send(ctx, p, msg); err != nil {
		s.log.ErrorContext(ctx, "sms send failed", "err", err)
		return nil, apperr.New("SMS_UNAVAILABLE", "the code could not be sent; try again shortly")
	}
	return &Ticket{SentTo: mask.Phone(p), ExpiresIn: int(CodeTTL.Seconds()), ResendAfter: int(ResendCooldown.Seconds())}, nil
}

// LoginInput is what the app sends with a code.
type LoginInput struct {
	Phone     string
	Code      string
	BirthDate *time.Time // required to register
	Nickname  *string
}

// LoginResult is a new session.
type LoginResult struct {
	Token      string
	ExpiresAt  time.Time
	User       *ent.User
	Registered bool
}

// Login checks a code and opens a session, registering the number on first
// use. A wrong code costs one of MaxCodeTries; nothing else does.
func (s *Service) Login(ctx context.Context, in LoginInput) (*LoginResult, error) {
	p, err := phone.Normalize(in.Phone)
	if err != nil {
		return nil, apperr.BadField("phone", "%s", err.Error())
	}
	if len(in.Code) != CodeLength || strings.Trim(in.Code, "0123456789") != "" {
		return nil, apperr.BadField("code", "the code has %d digits", CodeLength)
	}
	if err := s.limiter.Allow(ctx, ruleLoginPerIP, s.ipHash(ctx)); err != nil {
		return nil, err
	}
	now := s.now()
	ph := s.keys.Index.Hash("phone", p)
	lc, err := s.client.LoginCode.Query().
		Where(logincode.PhoneHash(ph), logincode.ConsumedAtIsNil(), logincode.ExpiresAtGT(now)).
		Order(ent.Desc(logincode.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, codeError("CODE_EXPIRED", "the code has expired or was never sent; request a new one")
	} else if err != nil {
		return nil, err
	}
	if lc.Attempts >= MaxCodeTries {
		return nil, codeError("TOO_MANY_ATTEMPTS", "too many wrong codes; request a new one")
	}
	if subtle.ConstantTimeCompare(lc.CodeHash, s.codeHash(ph, in.Code)) != 1 {
		return nil, s.wrongCode(ctx, lc)
	}
	existing, err := s.client.User.Query().Where(user.PhoneHash(ph)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	var nickname string
	if existing == nil {
		if nickname, err = s.checkRegistration(in, now); err != nil {
			return nil, err // the code stays valid: the app asks and retries
		}
	}
	res := &LoginResult{Registered: existing == nil}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Consume the code exactly once, even against a racing log-in.
		n, err := tx.LoginCode.Update().
			Where(logincode.ID(lc.ID), logincode.ConsumedAtIsNil()).
			SetConsumedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return codeError("CODE_EXPIRED", "the code was already used; request a new one")
		}
		u := existing
		if u == nil {
			_, sealed := SealPhone(s.keys, p)
			u, err = tx.User.Create().
				SetPhoneHash(ph).SetPhoneCipher(sealed).
				SetNickname(nickname).SetBirthDate(*in.BirthDate).
				Save(ctx)
			if err != nil {
				return err
			}
		}
		res.User = u
		res.Token, res.ExpiresAt, err = s.openSession(ctx, tx, u.ID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "login", "user_id", res.User.ID, "registered", res.Registered)
	return res, nil
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

// checkRegistration applies A4 and returns the nickname to register with.
func (s *Service) checkRegistration(in LoginInput, now time.Time) (string, error) {
	if in.BirthDate == nil {
		return "", apperr.New(apperr.CodeRegistrationRequired,
			"this number has no account yet: give your birth date to register").With("field", "birthDate")
	}
	b := *in.BirthDate
	if b.After(now) || b.Year() < 1900 {
		return "", apperr.BadField("birthDate", "the birth date is not a real date of birth")
	}
	if Age(b, now) < MinimumAge {
		return "", apperr.New(apperr.CodeAgeRestricted,
			"tongxue is only for people aged %d or over", MinimumAge).With("minimumAge", MinimumAge)
	}
	if in.Nickname == nil || strings.TrimSpace(*in.Nickname) == "" {
		return defaultNickname()
	}
	return ValidateNickname(*in.Nickname)
}

// ValidateNickname trims a nickname and checks it is 1-32 printable characters.
func ValidateNickname(s string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < 1 || n > 32 {
		return "", apperr.BadField("nickname", "a nickname has 1 to 32 characters")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", apperr.BadField("nickname", "a nickname cannot contain control characters")
		}
	}
	return s, nil
}

func defaultNickname() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("同学%04d", n.Int64()), nil
}

const tokenPrefix = "txs_"

func (s *Service) openSession(ctx context.Context, tx *ent.Tx, userID int, now time.Time) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	exp := now.Add(SessionTTL)
	err := tx.Session.Create().SetTokenHash(tokenHash(token)).SetUserID(userID).
		SetCreatedAt(now).SetExpiresAt(exp).Exec(ctx)
	return token, exp, err
}

// ErrInvalidSession means a token is unknown, expired or revoked.
var ErrInvalidSession = errors.New("auth: invalid session")

// Authenticate resolves a bearer token to its viewer in one query.
func (s *Service) Authenticate(ctx context.Context, token string) (*Viewer, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return nil, ErrInvalidSession
	}
	h := tokenHash(token)
	u, err := s.client.User.Query().
		Where(user.HasSessionsWith(session.TokenHash(h), session.RevokedAtIsNil(), session.ExpiresAtGT(s.now()))).
		Select(user.FieldID, user.FieldRole).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrInvalidSession
	} else if err != nil {
		return nil, err
	}
	return &Viewer{UserID: u.ID, Role: u.Role, tokenHash: h}, nil
}

// Logout revokes the viewer's current session.
func (s *Service) Logout(ctx context.Context, v *Viewer) error {
	return s.client.Session.Update().
		Where(session.TokenHash(v.tokenHash), session.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Exec(ctx)
}

// Phone opens the user's sealed phone number. Callers show it masked.
func (s *Service) Phone(u *ent.User) (string, error) {
	p, err := s.keys.Ring.Open(u.PhoneCipher, phoneColumn)
	return string(p), err
}

// Sweep deletes expired codes, sessions and rate-limit windows.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	if _, err := s.client.LoginCode.Delete().Where(logincode.ExpiresAtLT(now.Add(-time.Hour))).Exec(ctx); err != nil {
		return err
	}
	if _, err := s.client.Session.Delete().Where(session.Or(session.ExpiresAtLTE(now), session.RevokedAtNotNil())).Exec(ctx); err != nil {
		return err
	}
	_, err := s.limiter.Sweep(ctx)
	return err
}

func (s *Service) codeHash(phoneHash []byte, code string) []byte {
	return s.keys.Index.Hash("login-code", hex.EncodeToString(phoneHash)+":"+code)
}

// ipHash keys the per-client limits; an unknown IP shares one bucket.
func (s *Service) ipHash(ctx context.Context) []byte {
	return s.keys.Index.Hash("ip", reqinfo.FromContext(ctx).ClientIP)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func randomCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

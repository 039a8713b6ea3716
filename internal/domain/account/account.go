// Package account holds what a person's account is: registration on first
// log-in (A1: the policy accepted, A4: no minors), the sealed phone number,
// and the public profile they correct (R1). Sessions and viewers are
// internal/domain/auth's; auth calls Check and Register when a code logs in
// a number that has no account yet.
package account

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/idcard"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// MinimumAge is the youngest a user may be (A4).
const MinimumAge = 16

// Age returns the completed years between birth and now, as counted in
// China (idcard.Age).
func Age(birth, now time.Time) int { return idcard.Age(birth, now) }

// Column names double as AEAD associated data for sealed values.
const phoneColumn = "users.phone_cipher"

// SealPhone returns the stored forms of a normalised phone number: its keyed
// hash (look-up, uniqueness) and its ciphertext.
func SealPhone(keys vault.Keys, p string) (hash, sealed []byte) {
	return keys.Index.Hash("phone", p), keys.Ring.Seal([]byte(p), phoneColumn)
}

// OpenPhone opens the user's sealed phone number. Callers show it masked.
func OpenPhone(ring *vault.Keyring, u *ent.User) (string, error) {
	p, err := ring.Open(u.PhoneCipher, phoneColumn)
	return string(p), err
}

// PolicyBook gives the privacy policy version in force (internal/domain/privacy).
type PolicyBook interface {
	Current(ctx context.Context) (*ent.PolicyVersion, error)
}

// Applicant is what a new number gives with its first code.
type Applicant struct {
	BirthDate *time.Time
	Nickname  *string
	// The policy version shown and accepted.
	AcceptPolicyVersion *string
}

// Registration is an applicant that passed Check.
type Registration struct {
	nickname string
	birth    time.Time
	policy   *ent.PolicyVersion
}

// Check applies A4 and P1 to a new number.
func Check(ctx context.Context, policy PolicyBook, in Applicant, now time.Time) (*Registration, error) {
	if in.BirthDate == nil {
		return nil, apperr.New(apperr.CodeRegistrationRequired,
			"this number has no account yet: give your birth date to register").With("field", "birthDate")
	}
	b := *in.BirthDate
	if b.After(now) || b.Year() < 1900 {
		return nil, apperr.BadField("birthDate", "the birth date is not a real date of birth")
	}
	if Age(b, now) < MinimumAge {
		return nil, apperr.New(apperr.CodeAgeRestricted,
			"tongxue is only for people aged %d or over", MinimumAge).With("minimumAge", MinimumAge)
	}
	cur, err := policy.Current(ctx)
	if err != nil {
		return nil, err
	}
	if in.AcceptPolicyVersion == nil {
		return nil, apperr.New(apperr.CodeRegistrationRequired,
			"accept the privacy policy to register").With("field", "acceptPolicyVersion").With("policyVersion", cur.Version)
	}
	if *in.AcceptPolicyVersion != cur.Version {
		return nil, apperr.New(apperr.CodePolicyUpdateRequired,
			"the privacy policy has changed: show and accept the current version").With("policyVersion", cur.Version)
	}
	reg := &Registration{birth: b, policy: cur}
	if in.Nickname == nil || strings.TrimSpace(*in.Nickname) == "" {
		reg.nickname, err = defaultNickname()
	} else {
		reg.nickname, err = ValidateNickname(*in.Nickname)
	}
	return reg, err
}

// Register creates the account of phone number p in tx and records that
// it accepted the policy.
func Register(ctx context.Context, tx *ent.Tx, keys vault.Keys, p string, reg *Registration, now time.Time) (*ent.User, error) {
	hash, sealed := SealPhone(keys, p)
	u, err := tx.User.Create().
		SetPhoneHash(hash).SetPhoneCipher(sealed).
		SetNickname(reg.nickname).SetBirthDate(reg.birth).
		SetAcceptedPolicySeq(reg.policy.Seq).SetCreatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return u, tx.PolicyAcceptance.Create().
		SetUserID(u.ID).SetPolicySeq(reg.policy.Seq).SetVersion(reg.policy.Version).
		SetChannel(policyacceptance.ChannelREGISTRATION).SetCreatedAt(now).Exec(ctx)
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

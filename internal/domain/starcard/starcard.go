// Package starcard issues star cards and planet resident cards (C1) —
// signed credentials merchants verify online or offline — and opens the
// star card's Class II bank account (C2, account.go).
package starcard

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/starcard"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/credential"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Students tells whether a user is a verified student (package student).
type Students interface {
	IsVerified(ctx context.Context, userID int) (bool, error)
}

// Cards issues and checks cards.
type Cards struct {
	client   *ent.Client
	signer   *credential.Signer
	verifier *credential.Verifier
	students Students
	now      func() time.Time
}

// NewCards returns the service; seed (32 bytes) derives the signing key.
func NewCards(client *ent.Client, seed []byte, students Students, now func() time.Time) (*Cards, error) {
	signer, err := credential.NewSigner(seed, "k1")
	if err != nil {
		return nil, err
	}
	verifier, err := credential.NewVerifier(map[string]ed25519.PublicKey{signer.KeyID(): signer.PublicKey()})
	if err != nil {
		return nil, err
	}
	return &Cards{client: client, signer: signer, verifier: verifier, students: students, now: now}, nil
}

// PublicKeys are the keys merchants' apps embed to verify offline.
func (c *Cards) PublicKeys() map[string]string {
	return map[string]string{c.signer.KeyID(): string(c.signer.PublicKeyPEM())}
}

// Input is a card application.
type Input struct {
	Kind           starcard.Kind
	Gender         starcard.Gender
	School         string
	SchoolingYears int
	EnrolmentYear  int
}

// Apply issues a card of a kind to the viewer (one active card per kind).
func (c *Cards) Apply(ctx context.Context, v *auth.Viewer, in Input) (*ent.StarCard, error) {
	school := strings.TrimSpace(in.School)
	if _, err := credential.GraduationYear(in.EnrolmentYear, in.SchoolingYears); err != nil {
		return nil, apperr.BadField("enrolmentYear", "enter your enrolment year and schooling length (1 to %d years)", credential.MaxSchoolingYears)
	}
	// The credential's own rules, so that every card issued can be signed.
	card, err := credential.NewCard(credential.Kind(in.Kind), school, in.EnrolmentYear, in.SchoolingYears, false)
	if errors.Is(err, credential.ErrInvalidClaims) || utf8.RuneCountInString(school) < 2 {
		return nil, apperr.BadField("school", "the school name has 2 to %d characters, on one line", credential.MaxSchoolRunes)
	}
	if err != nil {
		return nil, err
	}
	if !c.now().Before(credential.GraduationCutoff(card.GradYear)) {
		return nil, apperr.BadField("enrolmentYear", "cards are for students still studying")
	}
	if in.EnrolmentYear > c.now().Year() {
		return nil, apperr.BadField("enrolmentYear", "the enrolment year is in the future")
	}
	exists, err := c.client.StarCard.Query().Where(starcard.UserID(v.UserID), starcard.KindEQ(in.Kind),
		starcard.StatusEQ(starcard.StatusACTIVE)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, apperr.New(apperr.CodeConflict, "you already have an active card of this kind")
	}
	return c.client.StarCard.Create().SetUserID(v.UserID).SetNumber(card.Number).SetKind(in.Kind).
		SetGender(in.Gender).SetSchool(school).SetSchoolingYears(in.SchoolingYears).
		SetEnrolmentYear(in.EnrolmentYear).SetIssuedAt(c.now()).Save(ctx)
}

// Mine lists the viewer's cards.
func (c *Cards) Mine(ctx context.Context, userID int) ([]*ent.StarCard, error) {
	return c.client.StarCard.Query().Where(starcard.UserID(userID)).Order(ent.Desc(starcard.FieldIssuedAt)).All(ctx)
}

func (c *Cards) owned(ctx context.Context, v *auth.Viewer, id int) (*ent.StarCard, error) {
	sc, err := c.client.StarCard.Get(ctx, id)
	if ent.IsNotFound(err) || (err == nil && sc.UserID != v.UserID && v.Role != user.RoleSTAFF) {
		return nil, apperr.NotFound("star card")
	}
	return sc, err
}

// QR signs a short-lived payload of the viewer's active card.
func (c *Cards) QR(ctx context.Context, v *auth.Viewer, id int) (string, time.Time, error) {
	sc, err := c.owned(ctx, v, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if sc.UserID != v.UserID {
		return "", time.Time{}, apperr.NotFound("star card")
	}
	if sc.Status != starcard.StatusACTIVE {
		return "", time.Time{}, apperr.BadInput("this card is revoked")
	}
	student, err := c.students.IsVerified(ctx, v.UserID)
	if err != nil {
		return "", time.Time{}, err
	}
	grad, _ := credential.GraduationYear(sc.EnrolmentYear, sc.SchoolingYears)
	card := credential.Card{Number: sc.Number, Kind: credential.Kind(sc.Kind), School: sc.School, GradYear: grad, Student: student}
	claims := card.QRClaims(c.now())
	payload, err := c.signer.Sign(claims)
	return payload, claims.Expires, err
}

// Revoke ends a card (its owner, or staff): it stops verifying at once
// online, and offline once its last QR payload expires.
func (c *Cards) Revoke(ctx context.Context, v *auth.Viewer, id int) (*ent.StarCard, error) {
	sc, err := c.owned(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return c.client.StarCard.UpdateOne(sc).SetStatus(starcard.StatusREVOKED).SetRevokedAt(c.now()).Save(ctx)
}

// Check is a merchant's verification result: only what a perk needs.
type Check struct {
	Valid    bool
	Reason   string
	Number   string
	Kind     starcard.Kind
	School   string
	GradYear int
}

// Verify checks a scanned payload: signature, validity window, graduation,
// and that the card is not revoked.
func (c *Cards) Verify(ctx context.Context, payload string) (*Check, error) {
	claims, err := c.verifier.Verify(strings.TrimSpace(payload), c.now())
	if err != nil {
		return &Check{Reason: reason(err)}, nil
	}
	sc, err := c.client.StarCard.Query().Where(starcard.Number(claims.Number)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	if sc == nil || sc.Status != starcard.StatusACTIVE {
		return &Check{Reason: "REVOKED"}, nil
	}
	return &Check{Valid: true, Number: claims.Number, Kind: sc.Kind, School: claims.School, GradYear: claims.GradYear}, nil
}

// Revoked lists the cards revoked recently enough that a QR payload signed
// before the revocation may still be valid, for merchants' offline lists:
// older revocations need no listing (their payloads have expired and no new
// one is signed), so the list stays short.
func (c *Cards) Revoked(ctx context.Context) ([]string, error) {
	since := c.now().Add(-credential.QRLifetime - 2*credential.ClockSkew)
	return c.client.StarCard.Query().Where(starcard.StatusEQ(starcard.StatusREVOKED), starcard.RevokedAtGT(since)).
		Select(starcard.FieldNumber).Strings(ctx)
}

func reason(err error) string {
	for _, r := range []struct {
		err  error
		code string
	}{
		{credential.ErrMalformed, "MALFORMED"}, {credential.ErrUnknownKey, "UNKNOWN_KEY"},
		{credential.ErrBadSignature, "BAD_SIGNATURE"}, {credential.ErrExpired, "EXPIRED"},
		{credential.ErrNotYetValid, "NOT_YET_VALID"}, {credential.ErrGraduated, "GRADUATED"},
		{credential.ErrRevoked, "REVOKED"},
	} {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "MALFORMED"
}

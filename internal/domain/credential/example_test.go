package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/tongxue/tongxue/internal/domain/credential"
)

// A merchant verifies a scanned QR code offline, with the platform's public
// keys embedded in its app (as PEM, by key id) and the platform's published
// list of revoked card numbers. Verify needs no network: it checks the
// format, the signature, the five-minute validity of the QR code (with 30
// seconds of clock skew), the holder's graduation and the revocation list.
func ExampleVerifier() {
	// On the platform: the signing key, derived from the server's index key
	// in production (see NewSigner), and a QR code for a student's card.
	signer, _ := credential.NewSigner(bytes.Repeat([]byte{42}, 32), "2026a")
	publicPEM := signer.PublicKeyPEM() // published for merchant apps

	issued := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	card := credential.Card{
		Number:   "SC7K2M9QX4TB8RD",
		Kind:     credential.StarCard,
		School:   "北京大学",
		GradYear: 2028, // enrolled 2024, four-year programme
		Student:  true,
	}
	payload, _ := signer.Sign(card.QRClaims(issued))

	// In the merchant app, offline.
	pub, err := credential.ParsePublicKeyPEM(publicPEM)
	if err != nil {
		panic(err)
	}
	revoked := map[string]bool{"SCTX2026STAR00R": true} // the published list
	verifier, err := credential.NewVerifier(
		map[string]ed25519.PublicKey{"2026a": pub},
		credential.WithRevoked(func(number string) bool { return revoked[number] }),
	)
	if err != nil {
		panic(err)
	}

	scanned := issued.Add(2 * time.Minute)
	claims, err := verifier.Verify(payload, scanned)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(claims.Number, claims.Kind, claims.School, "student:", claims.Student)
	fmt.Println("valid until", claims.Expires.Format(time.RFC3339))

	// A screenshot shown again ten minutes later has expired.
	_, err = verifier.Verify(payload, issued.Add(10*time.Minute))
	fmt.Println(errors.Is(err, credential.ErrExpired))

	// Output:
	// SC7K2M9QX4TB8RD STAR_CARD 北京大学 student: true
	// valid until 2026-03-15T10:05:00Z
	// true
}

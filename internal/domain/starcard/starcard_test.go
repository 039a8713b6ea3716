package starcard_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/credential"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const (
	student  = "13300000001"
	merchant = "13300000002"
	apply    = `mutation { applyStarCard(input: {kind: STAR_CARD, gender: FEMALE, school: "北京大学", schoolingYears: 4, enrolmentYear: 2024}) { id number status } }`
	verify   = `query($p: String!) { verifyStarCard(payload: $p) { valid reason number kind school gradYear } }`
)

type check struct {
	Valid    bool
	Reason   *string
	Number   *string
	School   *string
	GradYear *int
}

// C1: a card, its signed short-lived QR, the merchant's check, revocation.
func TestStarCard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		tok := e.Login(t, student)
		shop := e.Login(t, merchant)
		e.SetRole(t, merchant, user.RoleMERCHANT)
		var card struct {
			ApplyStarCard struct{ ID, Number, Status string }
		}
		// Input the credential could not carry is refused up front, never
		// issued as a card whose QR cannot be signed.
		for _, bad := range []string{`school: "北京\t大学"`, `schoolingYears: 10`, `school: "北"`} {
			key := strings.SplitN(bad, ":", 2)[0]
			q := regexp.MustCompile(key+`: [^,}]+`).ReplaceAllString(apply, bad)
			if r := e.Post(t, tok, q, nil); r.Code() != "BAD_USER_INPUT" {
				t.Fatalf("%s: %s %+v", bad, r.Data, r.Errors)
			}
		}
		e.Must(t, tok, apply, nil, &card)
		c := card.ApplyStarCard
		if !credential.ValidNumber(c.Number) || c.Status != "ACTIVE" {
			t.Fatalf("card %+v", c)
		}
		if r := e.Post(t, tok, apply, nil); r.Code() != "CONFLICT" {
			t.Fatalf("a second active card: %+v", r.Errors)
		}
		var qr struct{ StarCardQR struct{ Payload string } }
		e.Must(t, tok, `mutation($id: ID!) { starCardQR(id: $id) { payload expiresAt } }`, map[string]any{"id": c.ID}, &qr)
		payload := qr.StarCardQR.Payload
		// What the merchant can read from the payload: no nickname, no gender.
		parts := strings.Split(payload, ".")
		raw, _ := jsonPart(parts[1])
		if strings.Contains(raw, "FEMALE") || strings.Contains(raw, "测试同学") || !strings.Contains(raw, c.Number) {
			t.Fatalf("payload claims %s", raw)
		}

		if r := e.Post(t, tok, verify, map[string]any{"p": payload}); r.Code() != "FORBIDDEN" {
			t.Fatalf("a student verifies: %+v", r.Errors)
		}
		var ok struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": payload}, &ok)
		if v := ok.VerifyStarCard; !v.Valid || *v.Number != c.Number || *v.School != "北京大学" || *v.GradYear != 2028 {
			t.Fatalf("check %+v", v)
		}
		tampered := payload[:len(payload)-3] + "AAA"
		var bad struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": tampered}, &bad)
		if bad.VerifyStarCard.Valid || bad.VerifyStarCard.Reason == nil {
			t.Fatalf("tampered %+v", bad)
		}
		// Offline: the published key verifies the same payload.
		resp, err := http.Get(e.Server.URL + "/star-cards/keys")
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&keys)
		resp.Body.Close()
		pub, err := credential.ParsePublicKeyPEM([]byte(keys["k1"]))
		if err != nil {
			t.Fatal(err)
		}
		vf, _ := credential.NewVerifier(map[string]ed25519.PublicKey{"k1": pub})
		if _, err := vf.Verify(payload, time.Now()); err != nil {
			t.Fatalf("offline verification: %v", err)
		}

		e.Must(t, tok, `mutation($id: ID!) { revokeStarCard(id: $id) { status } }`, map[string]any{"id": c.ID}, nil)
		var revoked struct{ VerifyStarCard check }
		e.Must(t, shop, verify, map[string]any{"p": payload}, &revoked)
		if revoked.VerifyStarCard.Valid || *revoked.VerifyStarCard.Reason != "REVOKED" {
			t.Fatalf("after revocation %+v", revoked)
		}
		// A card revoked long ago has no valid payload left: not listed.
		old := db.Client.StarCard.Create().SetUserID(e.UserID(t, student)).SetNumber("SCOLDREVOKED01").SetKind("PLANET_RESIDENT").
			SetGender("FEMALE").SetSchool("北京大学").SetSchoolingYears(4).SetEnrolmentYear(2024).
			SetStatus("REVOKED").SetRevokedAt(time.Now().Add(-time.Hour)).SaveX(t.Context())
		resp, _ = http.Get(e.Server.URL + "/star-cards/revoked")
		var list struct{ Revoked []string }
		_ = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Revoked) != 1 || list.Revoked[0] != c.Number {
			t.Fatalf("revocation list %+v (an old one: %s)", list, old.Number)
		}
	})
}

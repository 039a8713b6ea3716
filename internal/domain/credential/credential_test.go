package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/domain/credential"
)

var chinaTime = time.FixedZone("UTC+8", 8*3600)

// now is 15 March 2026, 10:00 in China.
var now = time.Date(2026, 3, 15, 10, 0, 0, 0, chinaTime)

// A valid number, computed independently of the package.
const number = "SC7K2M9QX4TB8RD"

// The keys of the claims JSON, as the package documentation lists them.
var documentedKeys = []string{"v", "kid", "num", "kind", "school", "grad", "student", "nbf", "exp"}

var b64 = base64.RawURLEncoding

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, ed25519.SeedSize) }

func newSigner(t testing.TB, b byte, kid string) *credential.Signer {
	t.Helper()
	s, err := credential.NewSigner(seed(b), kid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newVerifier(t testing.TB, signers ...*credential.Signer) *credential.Verifier {
	t.Helper()
	keys := map[string]ed25519.PublicKey{}
	for _, s := range signers {
		keys[s.KeyID()] = s.PublicKey()
	}
	v, err := credential.NewVerifier(keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims is a QR payload's claims issued at now.
func claims() credential.Claims {
	return credential.Card{
		Number: number, Kind: credential.StarCard, School: "北京大学", GradYear: 2028, Student: true,
	}.QRClaims(now)
}

func sign(t testing.TB, s *credential.Signer, c credential.Claims) string {
	t.Helper()
	p, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signRaw signs arbitrary claim bytes with the key of seed(b), the way the
// format says, so that tests reach the parser with a valid signature.
func signRaw(b byte, js []byte) string {
	signed := credential.Prefix + "." + b64.EncodeToString(js)
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed(b)), []byte(signed))
	return signed + "." + b64.EncodeToString(sig)
}

// claimsJSON decodes the claims part of a payload.
func claimsJSON(t *testing.T, payload string) []byte {
	t.Helper()
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		t.Fatalf("payload has %d parts", len(parts))
	}
	js, err := b64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestRoundTrip(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	for _, kind := range []credential.Kind{credential.StarCard, credential.PlanetResident} {
		c := claims()
		c.Kind = kind
		c.NotBefore = c.NotBefore.Add(700 * time.Millisecond) // kept to the second
		c.Expires = c.Expires.Add(700 * time.Millisecond)
		p := sign(t, s, c)
		got, err := v.Verify(p, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		want := c
		want.NotBefore = now.Truncate(time.Second).UTC()
		want.Expires = now.Add(credential.QRLifetime).UTC()
		want.Version = credential.FormatVersion
		want.KeyID = "k1"
		if *got != want {
			t.Errorf("%s: got %+v, want %+v", kind, *got, want)
		}
	}
}

func TestPayloadFormat(t *testing.T) {
	s := newSigner(t, 1, "k1")
	p := sign(t, s, claims())
	if !strings.HasPrefix(p, "TXC1.") || strings.Count(p, ".") != 2 {
		t.Fatalf("payload %q is not TXC1.<claims>.<signature>", p)
	}
	i := strings.LastIndexByte(p, '.')
	sig, err := b64.DecodeString(p[i+1:])
	if err != nil || !ed25519.Verify(s.PublicKey(), []byte(p[:i]), sig) {
		t.Errorf("signature does not cover %q: %v", p[:i], err)
	}
	want := fmt.Sprintf(`{"v":1,"kid":"k1","num":%q,"kind":"STAR_CARD","school":"北京大学","grad":2028,"student":true,"nbf":%d,"exp":%d}`,
		number, now.Unix(), now.Add(5*time.Minute).Unix())
	if got := string(claimsJSON(t, p)); got != want {
		t.Errorf("claims\n got %s\nwant %s", got, want)
	}
}

// TestGolden pins the format: a merchant app in another language is built
// against it, and Ed25519 signatures are deterministic.
func TestGolden(t *testing.T) {
	const golden = "TXC1.eyJ2IjoxLCJraWQiOiJrMSIsIm51bSI6IlNDN0syTTlRWDRUQjhSRCIsImtpbmQiOiJTVEFSX0NBUkQiLCJzY2hvb2wiOiLljJfkuqzlpKflraYiLCJncmFkIjoyMDI4LCJzdHVkZW50Ijp0cnVlLCJuYmYiOjE3NzM1NDAwMDAsImV4cCI6MTc3MzU0MDMwMH0.HYbmFB0MlhSJt5Q_6-OKl-m5RwBIOPImVNGk3gNejc4pogCDoaT3hYd95GV2yUz1S-NjKKvU5W1pRW2tu9RODg"
	p := sign(t, newSigner(t, 1, "k1"), claims())
	if p != golden {
		t.Errorf("payload changed:\n got %s\nwant %s", p, golden)
	}
}

func TestEveryCharacterChangeFails(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	p := sign(t, s, claims())
	at := now.Add(time.Minute)
	if _, err := v.Verify(p, at); err != nil {
		t.Fatal(err)
	}
	// Every base64url symbol and the dot, plus characters base64 decoders
	// may skip or accept: padding, the standard alphabet, white space.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n\r\t\x00"
	checks := 0
	outcomes := map[error]int{}
	for i := 0; i < len(p); i++ {
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == p[i] {
				continue
			}
			q := p[:i] + alphabet[j:j+1] + p[i+1:]
			_, err := v.Verify(q, at)
			if err == nil {
				t.Fatalf("changing position %d from %q to %q still verifies", i, p[i], alphabet[j])
			}
			for _, e := range []error{credential.ErrMalformed, credential.ErrUnknownKey, credential.ErrBadSignature} {
				if errors.Is(err, e) {
					outcomes[e]++
				}
			}
			checks++
		}
		// Deleting it, or inserting a character a decoder may skip.
		if _, err := v.Verify(p[:i]+p[i+1:], at); err == nil {
			t.Fatalf("deleting position %d still verifies", i)
		}
		for _, ins := range []string{"\n", "=", " "} {
			if _, err := v.Verify(p[:i]+ins+p[i:], at); err == nil {
				t.Fatalf("inserting %q at %d still verifies", ins, i)
			}
		}
	}
	t.Logf("%d substitutions over %d positions refused: %d malformed, %d unknown key, %d bad signature",
		checks, len(p), outcomes[credential.ErrMalformed], outcomes[credential.ErrUnknownKey], outcomes[credential.ErrBadSignature])
	if outcomes[credential.ErrBadSignature] == 0 {
		t.Error("no change reached the signature check")
	}
}

func TestOtherKey(t *testing.T) {
	good := newSigner(t, 1, "k1")
	v := newVerifier(t, good)
	forger := newSigner(t, 2, "k1") // same key id, other key
	if _, err := v.Verify(sign(t, forger, claims()), now); !errors.Is(err, credential.ErrBadSignature) {
		t.Errorf("other key, known id: got %v, want ErrBadSignature", err)
	}
	stranger := newSigner(t, 2, "k9")
	if _, err := v.Verify(sign(t, stranger, claims()), now); !errors.Is(err, credential.ErrUnknownKey) {
		t.Errorf("unknown id: got %v, want ErrUnknownKey", err)
	}
	// The right key id with the signature of another payload.
	p1 := sign(t, good, claims())
	c2 := claims()
	c2.School = "清华大学"
	p2 := sign(t, good, c2)
	spliced := p2[:strings.LastIndexByte(p2, '.')] + p1[strings.LastIndexByte(p1, '.'):]
	if _, err := v.Verify(spliced, now); !errors.Is(err, credential.ErrBadSignature) {
		t.Errorf("spliced signature: got %v, want ErrBadSignature", err)
	}
}

func TestKeyRotation(t *testing.T) {
	old, cur := newSigner(t, 1, "2025a"), newSigner(t, 2, "2026a")
	both := newVerifier(t, old, cur)
	for _, s := range []*credential.Signer{old, cur} {
		c, err := both.Verify(sign(t, s, claims()), now)
		if err != nil {
			t.Fatalf("%s: %v", s.KeyID(), err)
		}
		if c.KeyID != s.KeyID() {
			t.Errorf("KeyID = %q, want %q", c.KeyID, s.KeyID())
		}
	}
	// Once the old key is dropped, what it signed no longer verifies.
	if _, err := newVerifier(t, cur).Verify(sign(t, old, claims()), now); !errors.Is(err, credential.ErrUnknownKey) {
		t.Errorf("dropped key: got %v, want ErrUnknownKey", err)
	}
}

func TestValidityWindow(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	c := claims()
	p := sign(t, s, c)
	nbf, exp := c.NotBefore, c.Expires
	skew := credential.ClockSkew
	if skew != 30*time.Second {
		t.Fatalf("ClockSkew = %v", skew)
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"long before", nbf.Add(-time.Hour), credential.ErrNotYetValid},
		{"just before the skew", nbf.Add(-skew - time.Nanosecond), credential.ErrNotYetValid},
		{"first instant within the skew", nbf.Add(-skew), nil},
		{"not before", nbf, nil},
		{"middle", nbf.Add(2 * time.Minute), nil},
		{"expires", exp, nil},
		{"last instant within the skew", exp.Add(skew - time.Nanosecond), nil},
		{"end of the skew", exp.Add(skew), credential.ErrExpired},
		{"long after", exp.Add(24 * time.Hour), credential.ErrExpired},
	} {
		got, err := v.Verify(p, tc.at)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if (got == nil) == (tc.want == nil) {
			t.Errorf("%s: claims %v with error %v", tc.name, got, err)
		}
	}
}

func TestGraduated(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	cut := credential.GraduationCutoff(2026)
	if want := time.Date(2026, 8, 31, 16, 0, 0, 0, time.UTC); !cut.Equal(want) {
		t.Fatalf("GraduationCutoff(2026) = %v, want %v", cut, want)
	}
	// A long-lived card around its holder's graduation.
	c := claims()
	c.GradYear = 2026
	c.Expires = cut.Add(365 * 24 * time.Hour)
	p := sign(t, s, c)
	if _, err := v.Verify(p, cut.Add(-time.Nanosecond)); err != nil {
		t.Errorf("last instant before the cutoff: %v", err)
	}
	if _, err := v.Verify(p, cut); !errors.Is(err, credential.ErrGraduated) {
		t.Errorf("at the cutoff: got %v, want ErrGraduated", err)
	}
	// A QR code issued shortly before the cutoff ends with it.
	card := credential.Card{Number: number, Kind: credential.StarCard, School: "北京大学", GradYear: 2026}
	qc := card.QRClaims(cut.Add(-time.Minute))
	if !qc.Expires.Equal(cut) {
		t.Errorf("QR Expires = %v, want the cutoff %v", qc.Expires, cut)
	}
	// Nothing is signed for a holder who has graduated.
	if _, err := s.Sign(card.QRClaims(cut)); !errors.Is(err, credential.ErrGraduated) || !errors.Is(err, credential.ErrInvalidClaims) {
		t.Errorf("signing after the cutoff: got %v, want ErrInvalidClaims and ErrGraduated", err)
	}
}

func TestGraduationYear(t *testing.T) {
	for _, tc := range []struct{ enrol, years, want int }{
		{2022, 4, 2026}, {2024, 3, 2027}, {2025, 2, 2027}, {2020, 8, 2028}, {2023, 5, 2028},
	} {
		got, err := credential.GraduationYear(tc.enrol, tc.years)
		if err != nil || got != tc.want {
			t.Errorf("GraduationYear(%d, %d) = %d, %v; want %d", tc.enrol, tc.years, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ enrol, years int }{{2022, 0}, {2022, -1}, {2022, 10}, {1900, 4}, {2199, 4}, {0, 4}} {
		if _, err := credential.GraduationYear(tc.enrol, tc.years); !errors.Is(err, credential.ErrInvalidClaims) {
			t.Errorf("GraduationYear(%d, %d): got %v, want ErrInvalidClaims", tc.enrol, tc.years, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	good := sign(t, s, claims())
	goodJS := claimsJSON(t, good)
	var m map[string]any
	if err := json.Unmarshal(goodJS, &m); err != nil {
		t.Fatal(err)
	}
	body, sig, _ := strings.Cut(strings.TrimPrefix(good, "TXC1."), ".")
	// edit returns the good claims with one change, in canonical key order
	// where possible, signed with the right key.
	edit := func(f func(map[string]any)) string {
		mm := map[string]any{}
		for k, v := range m {
			mm[k] = v
		}
		f(mm)
		var b bytes.Buffer
		b.WriteByte('{')
		keys := slices.Clone(documentedKeys)
		for k := range mm {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		first := true
		for _, k := range keys {
			val, ok := mm[k]
			if !ok {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			kj, _ := json.Marshal(k)
			vj, _ := json.Marshal(val)
			b.Write(kj)
			b.WriteByte(':')
			b.Write(vj)
		}
		b.WriteByte('}')
		return signRaw(1, b.Bytes())
	}
	raw := func(js string) string { return signRaw(1, []byte(js)) }
	// replace swaps text in the good claims JSON and signs the result.
	replace := func(old, new string) string {
		if !bytes.Contains(goodJS, []byte(old)) {
			t.Fatalf("claims have no %q", old)
		}
		return raw(strings.Replace(string(goodJS), old, new, 1))
	}

	for _, tc := range []struct{ name, payload string }{
		{"empty", ""},
		{"prefix only", "TXC1"},
		{"prefix and dot", "TXC1."},
		{"lower-case prefix", "txc1." + body + "." + sig},
		{"other version", "TXC2." + body + "." + sig},
		{"no prefix", body + "." + sig},
		{"JWT-like", "eyJhbGciOiJFZERTQSJ9." + body + "." + sig},
		{"two parts", "TXC1." + body},
		{"four parts", good + "." + sig},
		{"empty claims", "TXC1.." + sig},
		{"empty signature", "TXC1." + body + "."},
		{"trailing dot", good + "."},
		{"leading space", " " + good},
		{"trailing newline", good + "\n"},
		{"padding", "TXC1." + body + "==." + sig},
		{"standard base64", "TXC1." + strings.NewReplacer("-", "+", "_", "/").Replace(body) + "." + sig + "+/"},
		{"bad base64 length", "TXC1.A." + sig},
		{"short signature", "TXC1." + body + "." + sig[:40]},
		{"long signature", "TXC1." + body + "." + sig + "AAAA"},
		{"non-ASCII", good[:20] + "星" + good[23:]},
		{"not JSON", raw("hello")},
		{"JSON array", raw(`[1,2,3]`)},
		{"JSON string", raw(`"TXC1"`)},
		{"JSON null", raw(`null`)},
		{"empty object", raw(`{}`)},
		{"extra field nickname", edit(func(m map[string]any) { m["nickname"] = "小明" })},
		{"extra field uid", edit(func(m map[string]any) { m["uid"] = 42 })},
		{"missing kid", edit(func(m map[string]any) { delete(m, "kid") })},
		{"missing num", edit(func(m map[string]any) { delete(m, "num") })},
		{"missing student", edit(func(m map[string]any) { delete(m, "student") })},
		{"missing exp", edit(func(m map[string]any) { delete(m, "exp") })},
		{"null school", edit(func(m map[string]any) { m["school"] = nil })},
		{"null student", edit(func(m map[string]any) { m["student"] = nil })},
		{"string grad", edit(func(m map[string]any) { m["grad"] = "2028" })},
		{"float exp", replace(fmt.Sprintf(`"exp":%d`, now.Add(5*time.Minute).Unix()), fmt.Sprintf(`"exp":%d.5`, now.Add(5*time.Minute).Unix()))},
		{"exponent grad", replace(`"grad":2028`, `"grad":2.028e3`)},
		{"number student", replace(`"student":true`, `"student":1`)},
		{"duplicate key", replace(`"school":"北京大学"`, `"school":"清华大学","school":"北京大学"`)},
		{"upper-case key", replace(`"kid"`, `"KID"`)},
		{"reordered keys", replace(`{"v":1,"kid":"k1"`, `{"kid":"k1","v":1`)},
		{"white space", replace(`"v":1`, `"v": 1`)},
		{"escaped characters", replace(`北京大学`, `\u5317\u4eac\u5927\u5b66`)},
		{"trailing data", raw(string(goodJS) + `{}`)},
		{"trailing space", raw(string(goodJS) + ` `)},
		{"version 0", edit(func(m map[string]any) { m["v"] = 0 })},
		{"version 2", edit(func(m map[string]any) { m["v"] = 2 })},
		{"empty kid", edit(func(m map[string]any) { m["kid"] = "" })},
		{"invalid number", edit(func(m map[string]any) { m["num"] = "SC7K2M9QX4TB8RE" })},
		{"lower-case number", edit(func(m map[string]any) { m["num"] = strings.ToLower(number) })},
		{"unknown kind", edit(func(m map[string]any) { m["kind"] = "GOLD_CARD" })},
		{"empty school", edit(func(m map[string]any) { m["school"] = "" })},
		{"long school", edit(func(m map[string]any) { m["school"] = strings.Repeat("学", credential.MaxSchoolRunes+1) })},
		{"control character in school", edit(func(m map[string]any) { m["school"] = "北京\n大学" })},
		{"line separator in school", edit(func(m map[string]any) { m["school"] = "北京\u2028大学" })},
		{"graduation year 0", edit(func(m map[string]any) { m["grad"] = 0 })},
		{"graduation year 99999", edit(func(m map[string]any) { m["grad"] = 99999 })},
		{"expires before valid", edit(func(m map[string]any) { m["exp"] = m["nbf"] })},
		{"negative nbf", edit(func(m map[string]any) { m["nbf"] = -1 })},
		{"exp past year 9999", edit(func(m map[string]any) { m["exp"] = int64(1) << 40 })},
	} {
		c, err := v.Verify(tc.payload, now)
		if !errors.Is(err, credential.ErrMalformed) || c != nil {
			t.Errorf("%s: got %v, %v; want ErrMalformed", tc.name, c, err)
		}
	}
}

func TestHugePayloadRefusedEarly(t *testing.T) {
	v := newVerifier(t, newSigner(t, 1, "k1"))
	good := sign(t, newSigner(t, 1, "k1"), claims())
	huge := "TXC1." + strings.Repeat("A", 1<<20) + "." + good[strings.LastIndexByte(good, '.')+1:]
	_, err := v.Verify(huge, now)
	if !errors.Is(err, credential.ErrMalformed) || !strings.Contains(err.Error(), "longer than 2048") {
		t.Fatalf("1 MiB payload: got %v", err)
	}
	// Refused before reading: no decoding, no allocation.
	if n := testing.AllocsPerRun(10, func() { _, _ = v.Verify(huge, now) }); n != 0 {
		t.Errorf("refusing a huge payload allocates %v times", n)
	}
	// The limit: 2048 bytes are read (and refused for another reason),
	// 2049 are not.
	if _, err := v.Verify(strings.Repeat("A", credential.MaxPayloadLen), now); err == nil || strings.Contains(err.Error(), "longer") {
		t.Errorf("2048 bytes: got %v", err)
	}
	if _, err := v.Verify(strings.Repeat("A", credential.MaxPayloadLen+1), now); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("2049 bytes: got %v", err)
	}
	// The longest claims Sign accepts stay within the limit.
	c := claims()
	c.School = strings.Repeat("&", credential.MaxSchoolRunes) // escaped by JSON as \u0026, 6 bytes each
	p := sign(t, newSigner(t, 1, strings.Repeat("k", 32)), c)
	if len(p) > credential.MaxPayloadLen {
		t.Errorf("longest payload is %d bytes", len(p))
	}
}

// TestPrivacy builds a card from everything the platform knows about a
// student and checks what reaches the payload.
func TestPrivacy(t *testing.T) {
	student := struct {
		UserID                    int
		Nickname, Gender, Phone   string
		School                    string
		EnrolYear, SchoolingYears int
	}{UserID: 918273, Nickname: "小星星", Gender: "女", Phone: "13800138000", School: "复旦大学", EnrolYear: 2024, SchoolingYears: 4}

	card, err := credential.NewCard(credential.PlanetResident, student.School, student.EnrolYear, student.SchoolingYears, true)
	if err != nil {
		t.Fatal(err)
	}
	if card.GradYear != 2028 || !credential.ValidNumber(card.Number) {
		t.Fatalf("card %+v", card)
	}
	p := sign(t, newSigner(t, 1, "k1"), card.QRClaims(now))
	js := claimsJSON(t, p)

	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(documentedKeys))
	if !slices.Equal(keys, want) {
		t.Errorf("claims keys %v, want exactly %v", keys, want)
	}
	for _, secret := range []string{student.Nickname, student.Gender, student.Phone, fmt.Sprint(student.UserID)} {
		if bytes.Contains(js, []byte(secret)) || strings.Contains(p, secret) {
			t.Errorf("payload contains %q: %s", secret, js)
		}
	}
	for _, word := range []string{"nick", "name", "gender", "sex", "user", "uid", "phone", "birth"} {
		if bytes.Contains(bytes.ToLower(js), []byte(word)) {
			t.Errorf("claims mention %q: %s", word, js)
		}
	}
	// Claims itself has no field for personal data.
	var fields []string
	for f := range reflect.TypeFor[credential.Claims]().Fields() {
		fields = append(fields, f.Name)
	}
	if want := []string{"Number", "Kind", "School", "GradYear", "Student", "NotBefore", "Expires", "Version", "KeyID"}; !slices.Equal(fields, want) {
		t.Errorf("Claims fields %v, want %v", fields, want)
	}
}

func TestRevoked(t *testing.T) {
	s := newSigner(t, 1, "k1")
	list := map[string]bool{number: true}
	v, err := credential.NewVerifier(map[string]ed25519.PublicKey{"k1": s.PublicKey()},
		credential.WithRevoked(func(n string) bool { return list[n] }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(sign(t, s, claims()), now); !errors.Is(err, credential.ErrRevoked) {
		t.Errorf("revoked number: got %v, want ErrRevoked", err)
	}
	other := claims()
	other.Number = "SCTX2026STAR00R"
	if _, err := v.Verify(sign(t, s, other), now); err != nil {
		t.Errorf("number not on the list: %v", err)
	}
}

func TestSignRefusesInvalidClaims(t *testing.T) {
	s := newSigner(t, 1, "k1")
	for _, tc := range []struct {
		name string
		edit func(*credential.Claims)
	}{
		{"no number", func(c *credential.Claims) { c.Number = "" }},
		{"bad check symbol", func(c *credential.Claims) { c.Number = "SC7K2M9QX4TB8RE" }},
		{"no kind", func(c *credential.Claims) { c.Kind = "" }},
		{"unknown kind", func(c *credential.Claims) { c.Kind = "star_card" }},
		{"no school", func(c *credential.Claims) { c.School = "" }},
		{"padded school", func(c *credential.Claims) { c.School = " 北京大学" }},
		{"long school", func(c *credential.Claims) { c.School = strings.Repeat("学", 101) }},
		{"invalid UTF-8", func(c *credential.Claims) { c.School = "北京\xff" }},
		{"graduation year 0", func(c *credential.Claims) { c.GradYear = 0 }},
		{"no NotBefore", func(c *credential.Claims) { c.NotBefore = time.Time{} }},
		{"no Expires", func(c *credential.Claims) { c.Expires = time.Time{} }},
		{"empty window", func(c *credential.Claims) { c.Expires = c.NotBefore }},
		{"window under a second", func(c *credential.Claims) {
			c.NotBefore = now.Add(100 * time.Millisecond)
			c.Expires = now.Add(900 * time.Millisecond)
		}},
		{"reversed window", func(c *credential.Claims) { c.Expires = c.NotBefore.Add(-time.Hour) }},
		{"version 2", func(c *credential.Claims) { c.Version = 2 }},
		{"other key id", func(c *credential.Claims) { c.KeyID = "k2" }},
		{"graduated", func(c *credential.Claims) { c.GradYear = 2025 }},
	} {
		c := claims()
		tc.edit(&c)
		if p, err := s.Sign(c); !errors.Is(err, credential.ErrInvalidClaims) {
			t.Errorf("%s: got %q, %v; want ErrInvalidClaims", tc.name, p, err)
		}
	}
	// Version and KeyID may be left zero or set to the signer's.
	c := claims()
	c.Version, c.KeyID = 0, ""
	sign(t, s, c)
	c.Version, c.KeyID = credential.FormatVersion, "k1"
	sign(t, s, c)
}

func TestNewCard(t *testing.T) {
	if _, err := credential.NewCard("VIP", "北京大学", 2024, 4, true); !errors.Is(err, credential.ErrInvalidClaims) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := credential.NewCard(credential.StarCard, "", 2024, 4, true); !errors.Is(err, credential.ErrInvalidClaims) {
		t.Errorf("no school: %v", err)
	}
	if _, err := credential.NewCard(credential.StarCard, "北京大学", 2024, 0, true); !errors.Is(err, credential.ErrInvalidClaims) {
		t.Errorf("no schooling length: %v", err)
	}
	a, _ := credential.NewCard(credential.StarCard, "北京大学", 2024, 4, true)
	b, _ := credential.NewCard(credential.StarCard, "北京大学", 2024, 4, true)
	if a.Number == b.Number {
		t.Error("two cards of the same student data share a number")
	}
}

func TestNewSignerAndVerifierErrors(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := credential.NewSigner(make([]byte, n), "k1"); err == nil {
			t.Errorf("seed of %d bytes accepted", n)
		}
	}
	for _, kid := range []string{"", "k 1", "k/1", "k\n", "钥匙", strings.Repeat("k", 33)} {
		if _, err := credential.NewSigner(seed(1), kid); err == nil {
			t.Errorf("key id %q accepted", kid)
		}
		if _, err := credential.NewVerifier(map[string]ed25519.PublicKey{kid: newSigner(t, 1, "k1").PublicKey()}); err == nil {
			t.Errorf("verifier key id %q accepted", kid)
		}
	}
	if _, err := credential.NewVerifier(nil); err == nil {
		t.Error("verifier without keys accepted")
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := credential.NewVerifier(map[string]ed25519.PublicKey{"k1": make([]byte, n)}); err == nil {
			t.Errorf("public key of %d bytes accepted", n)
		}
	}
	// Same seed, same key; the verifier keeps its own copy of the keys.
	s := newSigner(t, 1, "k1")
	if !s.PublicKey().Equal(newSigner(t, 1, "k1").PublicKey()) {
		t.Error("the key is not a function of the seed")
	}
	keys := map[string]ed25519.PublicKey{"k1": s.PublicKey()}
	v, err := credential.NewVerifier(keys)
	if err != nil {
		t.Fatal(err)
	}
	keys["k1"][0] ^= 1
	delete(keys, "k1")
	if _, err := v.Verify(sign(t, s, claims()), now); err != nil {
		t.Errorf("verifier changed with the caller's map: %v", err)
	}
	s.PublicKey()[0] ^= 1
	if _, err := v.Verify(sign(t, s, claims()), now); err != nil {
		t.Errorf("PublicKey returned the signer's own key: %v", err)
	}
}

func TestPEM(t *testing.T) {
	s := newSigner(t, 1, "k1")
	p := s.PublicKeyPEM()
	if !bytes.HasPrefix(p, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Fatalf("PEM:\n%s", p)
	}
	pub, err := credential.ParsePublicKeyPEM(p)
	if err != nil || !pub.Equal(s.PublicKey()) {
		t.Fatalf("round trip: %v", err)
	}
	if pub, err := credential.ParsePublicKeyPEM(append(append([]byte("\n\n"), p...), " \r\n\n"...)); err != nil || !pub.Equal(s.PublicKey()) {
		t.Errorf("surrounding white space: %v", err)
	}
	// The same bytes as the standard library's encoding.
	der, _ := x509.MarshalPKIXPublicKey(s.PublicKey())
	if want := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}); !bytes.Equal(p, want) {
		t.Errorf("PEM differs from x509 + pem")
	}

	priv := ed25519.NewKeyFromSeed(seed(1))
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	bad := map[string][]byte{
		"empty":       nil,
		"garbage":     []byte("not a key"),
		"private key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
		"wrong type":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: privDER}),
		"bad DER":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}),
		"headers":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Kid": "k1"}, Bytes: der}),
		"two blocks":  append(slices.Clone(p), p...),
		"trailing":    append(slices.Clone(p), "junk"...),
	}
	for name, data := range bad {
		if _, err := credential.ParsePublicKeyPEM(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := credential.MarshalPublicKeyPEM(ed25519.PublicKey{1, 2}); err == nil {
		t.Error("short key marshalled")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newSigner(t, 1, "k1")
	v := newVerifier(t, s)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				p, err := s.Sign(claims())
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Verify(p, now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

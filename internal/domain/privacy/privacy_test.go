package privacy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
	"github.com/tongxue/tongxue/internal/seed"
)

const (
	alice = "13811110001"
	staff = "13811119999"
)

func errExt(t *testing.T, r *apitest.Response, key string) any {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("no error; data %s", r.Data)
	}
	return r.Errors[0].Extensions[key]
}

func publish(t *testing.T, e *apitest.Env, token, version string, major bool, at time.Time) *apitest.Response {
	t.Helper()
	return e.Post(t, token, `mutation($in: PublishPolicyInput!) { publishPrivacyPolicy(input: $in) { version major } }`,
		map[string]any{"in": map[string]any{"version": version, "effectiveAt": at.Format(time.RFC3339Nano),
			"summary": "调整了共享方名单", "major": major}})
}

// P1: after a major update only the exempt fields work until the user accepts.
func TestPolicyUpdateGate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		user := e.Login(t, alice)
		admin := e.Login(t, staff)
		e.SetRole(t, staff, "STAFF")

		if r := publish(t, e, user, "2026-12-01", true, time.Now()); r.Code() != "FORBIDDEN" {
			t.Fatalf("student publishes: %+v", r.Errors)
		}
		if r := publish(t, e, admin, "2024-02-22", true, time.Now()); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("duplicate version: %+v", r.Errors)
		}
		if r := publish(t, e, admin, "2026-12-01", true, time.Now()); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		// Staff are users too: they accept before going on.
		if r := publish(t, e, admin, "2026-12-09", false, time.Now()); r.Code() != "POLICY_UPDATE_REQUIRED" {
			t.Fatalf("staff before accepting: %+v", r.Errors)
		}
		e.Post(t, admin, `mutation { acceptPrivacyPolicy(version: "2026-12-01") { version } }`, nil)

		r := e.Post(t, user, `{ me { id } }`, nil)
		if r.Code() != "POLICY_UPDATE_REQUIRED" || errExt(t, r, "policyVersion") != "2026-12-01" {
			t.Fatalf("me after a major update: %+v", r.Errors)
		}
		// The SMS step-up (requestRevealCode) stays open: export and cancellation need it.
		for _, q := range []string{`mutation { updateProfile(input: {school: "北京大学"}) { id } }`, `{ nearbyMerchants(latitude: 40, longitude: 116) { distanceMeters } }`} {
			if r := e.Post(t, user, q, nil); r.Code() != "POLICY_UPDATE_REQUIRED" {
				t.Fatalf("%s: %+v", q, r.Errors)
			}
		}
		var pol struct {
			PrivacyPolicy struct {
				Version  string
				Accepted bool
			}
			MyConsents []struct{ Granted bool }
		}
		e.Post(t, user, `{ privacyPolicy { version accepted } myConsents { granted } }`, nil).Decode(t, &pol)
		if pol.PrivacyPolicy.Version != "2026-12-01" || pol.PrivacyPolicy.Accepted || len(pol.MyConsents) == 0 {
			t.Fatalf("exempt fields: %+v", pol)
		}
		// Mixed: the exempt field answers, the other is refused.
		r = e.Post(t, user, `{ privacyPolicy { version } me { id } }`, nil)
		if !strings.Contains(string(r.Data), "2026-12-01") || r.Code() != "POLICY_UPDATE_REQUIRED" {
			t.Fatalf("mixed: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, user, `mutation { grantConsent(purpose: MARKETING, channel: POPUP) { granted } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("consents stay manageable: %+v", r.Errors)
		}
		if r := e.Post(t, user, `mutation { acceptPrivacyPolicy(version: "2024-02-22") { version } }`, nil); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("accepting an old version: %+v", r.Errors)
		}
		if r := e.Post(t, user, `mutation { acceptPrivacyPolicy(version: "2026-12-01") { version accepted } }`, nil); len(r.Errors) > 0 ||
			!strings.Contains(string(r.Data), `"accepted":true`) {
			t.Fatalf("accept: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, user, `{ me { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("me after accepting: %+v", r.Errors)
		}

		// A minor version does not block; a major one dated later blocks from then.
		if r := publish(t, e, admin, "2026-12-02", false, time.Now()); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if r := e.Post(t, user, `{ me { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("minor update blocks: %+v", r.Errors)
		}
		if r := publish(t, e, admin, "2026-12-03", true, time.Now().Add(1500*time.Millisecond)); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if r := e.Post(t, user, `{ me { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("a future version blocks early: %+v", r.Errors)
		}
		time.Sleep(1600 * time.Millisecond)
		if r := e.Post(t, user, `{ me { id } }`, nil); r.Code() != "POLICY_UPDATE_REQUIRED" {
			t.Fatalf("a version that took effect does not block: %+v", r.Errors)
		}
		// Logging out still works, and acceptance history is kept.
		if r := e.Post(t, user, `mutation { logout }`, nil); len(r.Errors) > 0 {
			t.Fatalf("logout is exempt: %+v", r.Errors)
		}
		n, err := db.Client.PolicyAcceptance.Query().Count(t.Context())
		if err != nil || n != 4 { // both at registration, both accepted 2026-12-01
			t.Fatalf("acceptances = %d, %v", n, err)
		}
	})
}

// P2, P4, P5: consents per purpose, with history; a mutation needing a
// withdrawn consent is refused before it writes anything.
func TestConsentGrantWithdrawAndHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		token := e.Login(t, alice)
		// The trail cannot be told a later decision was made at registration.
		for _, q := range []string{`mutation { grantConsent(purpose: LOCATION, channel: REGISTRATION) { granted } }`,
			`mutation { acceptPrivacyPolicy(version: "2024-02-22", channel: REGISTRATION) { version } }`} {
			if r := e.Post(t, token, q, nil); r.Code() != "BAD_USER_INPUT" {
				t.Fatalf("%s: %s %+v", q, r.Data, r.Errors)
			}
		}

		var st struct {
			MyConsents []struct {
				Purpose struct {
					Purpose, Tier, LegalBasis string
					NeedsConsent              bool
				}
				Granted bool
			}
		}
		e.Post(t, token, `{ myConsents { purpose { purpose tier legalBasis needsConsent } granted } }`, nil).Decode(t, &st)
		byPurpose := map[string]bool{}
		for _, c := range st.MyConsents {
			byPurpose[c.Purpose.Purpose] = c.Granted
			if c.Purpose.NeedsConsent == c.Granted {
				t.Errorf("%s: granted %v before any decision", c.Purpose.Purpose, c.Granted)
			}
		}
		if !byPurpose["ACCOUNT"] || byPurpose["FEEDBACK"] || byPurpose["SHARE_PARTNER_BANK"] || len(byPurpose) != 24 {
			t.Fatalf("initial consents: %v", byPurpose)
		}

		submit := `mutation { submitFeedback(input: {text: "配送太慢了", contactEmail: "alice@example.com"}) { id contactEmail } }`
		r := e.Post(t, token, submit, nil)
		if r.Code() != "CONSENT_REQUIRED" || errExt(t, r, "purpose") != "FEEDBACK" || errExt(t, r, "policyVersion") != apitest.PolicyVersion {
			t.Fatalf("without consent: %+v", r.Errors)
		}
		if n, _ := db.Client.Feedback.Query().Count(t.Context()); n != 0 {
			t.Fatalf("a refused mutation wrote %d rows", n)
		}

		if r := e.Post(t, token, `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted policyVersion } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var fb struct {
			SubmitFeedback struct{ ID, ContactEmail string }
		}
		e.Post(t, token, submit, nil).Decode(t, &fb)
		if fb.SubmitFeedback.ContactEmail != "a***@example.com" {
			t.Fatalf("contact shown as %q", fb.SubmitFeedback.ContactEmail)
		}

		if r := e.Post(t, token, `mutation { withdrawConsent(purpose: FEEDBACK, channel: SETTINGS) { granted } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		// The very next request is refused; the past stays.
		if r := e.Post(t, token, submit, nil); r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("after withdrawal: %+v", r.Errors)
		}
		if n, _ := db.Client.Feedback.Query().Where(feedback.UserID(e.UserID(t, alice))).Count(t.Context()); n != 1 {
			t.Fatalf("feedback rows = %d, want the one made before withdrawal", n)
		}
		r = e.Post(t, token, `{ myFeedback { text contactEmail } }`, nil)
		if !strings.Contains(string(r.Data), `"contactEmail":null`) || r.Code() != "CONSENT_REQUIRED" {
			t.Fatalf("contact after withdrawal: %s %+v", r.Data, r.Errors)
		}

		var h struct {
			MyConsentHistory []struct{ Purpose, Decision, Channel, PolicyVersion string }
		}
		e.Post(t, token, `{ myConsentHistory { purpose decision channel policyVersion } }`, nil).Decode(t, &h)
		if len(h.MyConsentHistory) != 2 || h.MyConsentHistory[0].Decision != "WITHDRAWN" ||
			h.MyConsentHistory[0].Channel != "SETTINGS" || h.MyConsentHistory[1].Decision != "GRANTED" ||
			h.MyConsentHistory[1].PolicyVersion != apitest.PolicyVersion {
			t.Fatalf("history %+v", h.MyConsentHistory)
		}

		// Purposes resting on other legal bases have nothing to withdraw.
		r = e.Post(t, token, `mutation { withdrawConsent(purpose: ACCOUNT, channel: SETTINGS) { granted } }`, nil)
		if r.Code() != "BAD_USER_INPUT" || errExt(t, r, "legalBasis") != "CONTRACT" {
			t.Fatalf("withdraw ACCOUNT: %+v", r.Errors)
		}
		if r := e.Post(t, "", `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted } }`, nil); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous grant: %+v", r.Errors)
		}
	})
}

// P3: nearby merchants need the location consent and the device permission.
func TestNearbyNeedsConsentAndPermission(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		if _, _, err := seed.IfEmpty(t.Context(), db.Client, e.Keys, time.Now()); err != nil {
			t.Fatal(err)
		}
		token := e.Login(t, alice)
		q := `{ nearbyMerchants(latitude: 40.0, longitude: 116.3264, radiusMeters: 1000) { distanceMeters merchant { name campus } } }`
		r := e.Post(t, token, q, nil)
		if r.Code() != "CONSENT_REQUIRED" || errExt(t, r, "purpose") != "LOCATION" || !strings.Contains(string(r.Data), `"nearbyMerchants":null`) {
			t.Fatalf("without consent: %s %+v", r.Data, r.Errors)
		}
		e.Post(t, token, `mutation { grantConsent(purpose: LOCATION, channel: POPUP) { granted } }`, nil)
		if r := e.Post(t, token, q, nil); r.Code() != "PERMISSION_REQUIRED" || errExt(t, r, "permission") != "LOCATION" {
			t.Fatalf("no device report: %+v", r.Errors)
		}
		report := `mutation($on: Boolean!) { reportDevicePermissions(input: {platform: ANDROID, phone: false, camera: true, album: false, location: $on, storage: true}) { platform location } }`
		e.Post(t, token, report, map[string]any{"on": false})
		if r := e.Post(t, token, q, nil); r.Code() != "PERMISSION_REQUIRED" {
			t.Fatalf("location off: %+v", r.Errors)
		}
		e.Post(t, token, report, map[string]any{"on": true})
		var res struct {
			NearbyMerchants []struct {
				DistanceMeters int
				Merchant       struct{ Campus string }
			}
		}
		e.Post(t, token, q, nil).Decode(t, &res)
		if len(res.NearbyMerchants) == 0 {
			t.Fatal("no merchants near 清华大学")
		}
		for i, n := range res.NearbyMerchants {
			if n.Merchant.Campus != "清华大学" || n.DistanceMeters > 1000 || (i > 0 && n.DistanceMeters < res.NearbyMerchants[i-1].DistanceMeters) {
				t.Fatalf("nearby %+v", res.NearbyMerchants)
			}
		}
		// Permissions belong to the device: another session has reported none.
		other := e.Login(t, "13811110002")
		e.Post(t, other, `mutation { grantConsent(purpose: LOCATION, channel: POPUP) { granted } }`, nil)
		if r := e.Post(t, other, q, nil); r.Code() != "PERMISSION_REQUIRED" {
			t.Fatalf("other device: %+v", r.Errors)
		}
	})
}

// Y2: masked by default; the owner reveals after a fresh SMS code, staff
// with a reason; each reveal is audited and listed to the owner.
func TestMaskRevealAndAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{})
		token := e.Login(t, alice)
		admin := e.Login(t, staff)
		e.SetRole(t, staff, user.RoleSTAFF)

		var me struct{ Me struct{ ID, Phone string } }
		e.Post(t, token, `{ me { id phone } }`, nil).Decode(t, &me)
		if me.Me.Phone != "138****0001" {
			t.Fatalf("phone %q", me.Me.Phone)
		}
		r := e.Post(t, token, `{ me { phone @reveal } }`, nil)
		if r.Code() != "VERIFICATION_REQUIRED" || !strings.Contains(string(r.Data), "138****0001") {
			t.Fatalf("reveal without verification: %s %+v", r.Data, r.Errors)
		}
		if r := e.Post(t, token, `{ me { birthDate @reveal } }`, nil); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("@reveal on an unmasked field: %+v", r.Errors)
		}

		// A log-in code is not a reveal code.
		e.SkipCooldowns(t)
		if r := e.Post(t, "", `mutation { requestLoginCode(phone: "`+alice+`") { sentTo } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		loginCode := e.SMS.LastCode(alice)
		if r := e.Post(t, token, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`, map[string]any{"c": loginCode}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("login code used to reveal: %+v", r.Errors)
		}
		e.SkipCooldowns(t)
		if r := e.Post(t, token, `mutation { requestRevealCode { sentTo } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		r = e.Post(t, token, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`, map[string]any{"c": e.SMS.LastCode(alice)})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		r = e.Post(t, token, `{ me { phone @reveal } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), alice) {
			t.Fatalf("owner reveal: %s %+v", r.Data, r.Errors)
		}
		// Without @reveal it stays masked, even inside the window.
		if r := e.Post(t, token, `{ me { phone } }`, nil); strings.Contains(string(r.Data), alice) {
			t.Fatal("revealed without @reveal")
		}

		// Staff: masked; a reveal needs a reason; students cannot look.
		staffQ := `query($id: ID!, $why: String) { staffAccount(id: $id) { phone @reveal(reason: $why) } }`
		if r := e.Post(t, token, staffQ, map[string]any{"id": me.Me.ID}); r.Code() != "FORBIDDEN" {
			t.Fatalf("student uses staffAccount: %+v", r.Errors)
		}
		// Staff see the least support needs: no birth date at all.
		if r := e.Post(t, admin, `query($id: ID!) { staffAccount(id: $id) { birthDate } }`, map[string]any{"id": me.Me.ID}); r.Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("staff read a birth date: %s %+v", r.Data, r.Errors)
		}
		r = e.Post(t, admin, staffQ, map[string]any{"id": me.Me.ID})
		if r.Code() != "BAD_USER_INPUT" || strings.Contains(string(r.Data), alice) || !strings.Contains(string(r.Data), "138****0001") {
			t.Fatalf("staff reveal without reason: %s %+v", r.Data, r.Errors)
		}
		r = e.Post(t, admin, staffQ, map[string]any{"id": me.Me.ID, "why": "用户投诉 #2291 核实身份"})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), alice) {
			t.Fatalf("staff reveal with reason: %s %+v", r.Data, r.Errors)
		}

		var acc struct {
			MySensitiveDataAccess []struct {
				Field, ActorRole, Reason string
				ByMe                     bool
			}
		}
		e.Post(t, token, `{ mySensitiveDataAccess { field actorRole reason byMe } }`, nil).Decode(t, &acc)
		got := acc.MySensitiveDataAccess
		if len(got) != 2 || got[0].ActorRole != "STAFF" || got[0].Reason != "用户投诉 #2291 核实身份" || got[0].ByMe ||
			got[1].ActorRole != "STUDENT" || !got[1].ByMe || got[0].Field != "StaffAccountView.phone" || got[1].Field != "Account.phone" {
			t.Fatalf("access log %+v", got)
		}
	})
}

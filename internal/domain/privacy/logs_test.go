package privacy_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Y5: log-in, browsing, consent, feedback and reveal flows at debug level
// leave none of the user's personal data in the logs.
func TestNoPersonalDataInLogs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db, apitest.Options{LogLevel: slog.LevelDebug})
		tok := e.Login(t, alice)
		codes := []string{e.SMS.LastCode(alice)}
		e.Post(t, tok, `{ me { phone birthDate profile { nickname } } products(first: 5) { totalCount } }`, nil)
		e.Post(t, tok, `mutation { grantConsent(purpose: FEEDBACK, channel: POPUP) { granted } }`, nil)
		e.Post(t, tok, `mutation { submitFeedback(input: {text: "我的手机 13955556666", contactPhone: "13955556666", contactEmail: "carol.q@example.com"}) { id } }`, nil)
		e.Post(t, tok, `mutation { withdrawConsent(purpose: FEEDBACK, channel: SETTINGS) { granted } }`, nil)
		e.Post(t, tok, `mutation { submitFeedback(input: {text: "x", contactEmail: "carol.q@example.com"}) { id } }`, nil)
		e.SkipCooldowns(t)
		e.Post(t, tok, `mutation { requestRevealCode { sentTo } }`, nil)
		codes = append(codes, e.SMS.LastCode(alice))
		e.Post(t, tok, `mutation($c: String!) { verifyReveal(code: $c) { expiresAt } }`, map[string]any{"c": codes[1]})
		e.Post(t, tok, `{ me { phone @reveal } }`, nil)
		e.Post(t, "", `mutation { login(input: {phone: "13955556666", code: "000000"}) { token } }`, nil)
		e.Post(t, "txs_forged-token-value", `{ me { id } }`, nil)

		logs := e.Logs.String()
		if !strings.Contains(logs, `"msg":"graphql"`) || !strings.Contains(logs, `"level":"DEBUG"`) || strings.Count(logs, "\n") < 10 {
			t.Fatalf("debug logging did not run: %s", logs)
		}
		secrets := append([]string{alice, "13955556666", "carol.q@example.com", "2003-06-01",
			strings.TrimPrefix(tok, "txs_"), "forged-token-value"}, codes...)
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold %q", s)
			}
		}
	})
}

package config

import "strings"

// TencentSMS is the Tencent Cloud SMS account (TONGXUE_SMS=tencent).
type TencentSMS struct {
	SecretID  string            // TONGXUE_SMS_TENCENT_SECRET_ID
	SecretKey string            // TONGXUE_SMS_TENCENT_SECRET_KEY
	SdkAppID  string            // TONGXUE_SMS_TENCENT_SDK_APP_ID
	SignName  string            // TONGXUE_SMS_TENCENT_SIGN_NAME
	Templates map[string]string // TONGXUE_SMS_TENCENT_TEMPLATES: name=TemplateId,…
	Region    string            // TONGXUE_SMS_TENCENT_REGION, default ap-guangzhou
	URL       string            // TONGXUE_SMS_TENCENT_URL, default https://sms.tencentcloudapi.com
}

// readSMS checks the SMS gateway: the sandbox by default in development,
// a named gateway in production (the sandbox sends nothing there).
func readSMS(c *Config, get func(k, def string) string, probs *problems) {
	switch c.SMSSender {
	case "":
		if c.IsProduction() {
			probs.add("TONGXUE_SMS", "tencent", "must name an SMS gateway in production")
		}
		c.SMSSender = "sandbox"
	case "sandbox":
	case "tencent":
		t := TencentSMS{
			SecretID:  get("TONGXUE_SMS_TENCENT_SECRET_ID", ""),
			SecretKey: get("TONGXUE_SMS_TENCENT_SECRET_KEY", ""),
			SdkAppID:  get("TONGXUE_SMS_TENCENT_SDK_APP_ID", ""),
			SignName:  get("TONGXUE_SMS_TENCENT_SIGN_NAME", ""),
			Region:    get("TONGXUE_SMS_TENCENT_REGION", "ap-guangzhou"),
			URL:       get("TONGXUE_SMS_TENCENT_URL", "https://sms.tencentcloudapi.com"),
			Templates: map[string]string{},
		}
		for _, r := range []struct{ name, val, example string }{
			{"TONGXUE_SMS_TENCENT_SECRET_ID", t.SecretID, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"},
			{"TONGXUE_SMS_TENCENT_SECRET_KEY", t.SecretKey, "<the API key's SecretKey>"},
			{"TONGXUE_SMS_TENCENT_SDK_APP_ID", t.SdkAppID, "1400006666"},
			{"TONGXUE_SMS_TENCENT_SIGN_NAME", t.SignName, "同学"},
		} {
			if r.val == "" {
				probs.add(r.name, r.example, "is required with TONGXUE_SMS=tencent")
			}
		}
		// Every template the server sends (sms.Templates, which the sender checks).
		const example = "login_code=1110001,reveal_code=1110002,phone_change_old_code=1110003,phone_change_new_code=1110004"
		raw := get("TONGXUE_SMS_TENCENT_TEMPLATES", "")
		if raw == "" {
			probs.add("TONGXUE_SMS_TENCENT_TEMPLATES", example, "is required with TONGXUE_SMS=tencent")
		}
		for _, pair := range strings.Split(raw, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			name, id, ok := strings.Cut(pair, "=")
			if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(id) == "" {
				probs.add("TONGXUE_SMS_TENCENT_TEMPLATES", example, "must be name=TemplateId pairs separated by commas")
				break
			}
			t.Templates[strings.TrimSpace(name)] = strings.TrimSpace(id)
		}
		c.SMSTencent = t // which templates are needed is checked by the sender
	default:
		probs.add("TONGXUE_SMS", "tencent", "unknown sender %q (\"tencent\" or \"sandbox\")", c.SMSSender)
	}
}

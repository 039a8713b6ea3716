package config_test

import (
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/config"
)

// A production start with nothing set names every missing variable in one
// error, each with an example, so it takes one restart, not six.
func TestFromEnvListsEveryProblemAtOnce(t *testing.T) {
	_, err := config.FromEnv(env{"TONGXUE_ENV": "production", "PORT": "http", "TONGXUE_TRUST_PROXY": "maybe"}.lookup)
	if err == nil {
		t.Fatal("an empty production environment started")
	}
	msg := err.Error()
	for _, name := range []string{"TONGXUE_DATA_KEYS", "TONGXUE_INDEX_KEY", "TONGXUE_SMS", "TONGXUE_PAYMENT",
		"TONGXUE_STUDENT_VERIFY", "TONGXUE_BANK", "PORT", "TONGXUE_TRUST_PROXY"} {
		if !strings.Contains(msg, name+" ") || !strings.Contains(msg, "e.g. "+name+"=") {
			t.Errorf("the error does not name %s with an example:\n%s", name, msg)
		}
	}
	if !strings.Contains(msg, "8 problems") {
		t.Errorf("want 8 problems counted:\n%s", msg)
	}
}

func TestFromEnvTencentSMS(t *testing.T) {
	c := load(t, production(env{"TONGXUE_SMS": "tencent",
		"TONGXUE_SMS_TENCENT_SECRET_ID": "AKIDexample", "TONGXUE_SMS_TENCENT_SECRET_KEY": "secret",
		"TONGXUE_SMS_TENCENT_SDK_APP_ID": "1400006666", "TONGXUE_SMS_TENCENT_SIGN_NAME": "同学",
		"TONGXUE_SMS_TENCENT_TEMPLATES": "login_code=1110001, reveal_code=1110002"}))
	tc := c.SMSTencent
	if c.SMSSender != "tencent" || tc.SdkAppID != "1400006666" || tc.Templates["reveal_code"] != "1110002" ||
		tc.Region != "ap-guangzhou" || tc.URL != "https://sms.tencentcloudapi.com" {
		t.Fatalf("tencent settings = %+v", c)
	}
	_, err := config.FromEnv(production(env{"TONGXUE_SMS": "tencent", "TONGXUE_SMS_TENCENT_TEMPLATES": "login_code"}).lookup)
	for _, name := range []string{"TONGXUE_SMS_TENCENT_SECRET_ID", "TONGXUE_SMS_TENCENT_SECRET_KEY",
		"TONGXUE_SMS_TENCENT_SDK_APP_ID", "TONGXUE_SMS_TENCENT_SIGN_NAME", "TONGXUE_SMS_TENCENT_TEMPLATES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("missing %s not reported: %v", name, err)
		}
	}
}

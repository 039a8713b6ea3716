package auth

import (
	"time"

	"github.com/tongxue/tongxue/internal/infra/ratelimit"
)

// The log-in rules of A1, A4 and A5, in one place.
const (
	CodeLength     = 6
	CodeTTL        = 5 * time.Minute
	MaxCodeTries   = 5
	ResendCooldown = 60 * time.Second
	SessionTTL     = 30 * 24 * time.Hour
)

var (
	// At most one code per number per minute, even for racing requests
	// (the cool-down check alone is not atomic).
	ruleCodePerPhoneMinute = ratelimit.Rule{Name: "code:phone:1m", Limit: 1, Window: time.Minute}
	ruleCodePerPhoneHour   = ratelimit.Rule{Name: "code:phone:1h", Limit: 5, Window: time.Hour}
	ruleCodePerPhoneDay    = ratelimit.Rule{Name: "code:phone:1d", Limit: 10, Window: 24 * time.Hour}
	ruleCodePerIP          = ratelimit.Rule{Name: "code:ip:1h", Limit: 30, Window: time.Hour}
	ruleLoginPerIP         = ratelimit.Rule{Name: "login:ip:10m", Limit: 60, Window: 10 * time.Minute}
)

// Package chinatime is China Standard Time (UTC+8, no daylight saving): the
// calendar of ages, order numbers, credentials and the policy's dates.
package chinatime

import "time"

// Zone is UTC+8. A fixed zone, so no time zone database is needed.
var Zone = time.FixedZone("UTC+8", 8*3600)

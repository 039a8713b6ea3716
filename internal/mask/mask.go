// Package mask renders sensitive values in their masked form.
package mask

// Phone keeps the first 3 and last 4 digits: 138****5678.
func Phone(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

package mask

import "testing"

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "138****5678",
		"1234567":     "****",
		"":            "****",
	} {
		if got := Phone(in); got != want {
			t.Errorf("Phone(%q) = %q, want %q", in, got, want)
		}
	}
}

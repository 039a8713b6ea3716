package phone

import "testing"

func TestNormalize(t *testing.T) {
	ok := map[string]string{
		"13812345678":       "13812345678",
		"+86 138 1234 5678": "13812345678",
		"0086-13812345678":  "13812345678",
		"8619912345678":     "19912345678",
		" 166-0000-1111 ":   "16600001111",
	}
	for in, want := range ok {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1381234567", "138123456789", "12812345678", "23812345678",
		"+85213812345678", "138a2345678", "+1 415 555 0100", "8613812345", "1+3812345678"} {
		if got, err := Normalize(in); err != ErrInvalid {
			t.Errorf("Normalize(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}

package starcard_test

import "encoding/base64"

func base64URL(s string) ([]byte, error) { return base64.URLEncoding.DecodeString(s) }

func jsonPart(s string) (string, error) {
	for len(s)%4 != 0 {
		s += "="
	}
	b, err := base64URL(s)
	return string(b), err
}

// flakyBank fails its first Open as if the bank did not answer, and
// remembers the application ids it was sent.

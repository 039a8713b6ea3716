// Package imageformat tells a picture's format from its bytes, never from a
// file name or a client's declared type. Partners check document photos with
// it before sending them; internal/domain/media before cleaning a picture.
package imageformat

import "bytes"

// The formats pictures may have.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Detect returns JPEG or PNG from the magic numbers, or "".
func Detect(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, pngMagic):
		return PNG
	}
	return ""
}

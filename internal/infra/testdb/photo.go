package testdb

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
)

// ExifMarker is in the EXIF block Photo writes: a photo that still holds
// it was not cleaned.
const ExifMarker = "GPSLatitude 39.9999N"

// Photo is a small real JPEG, as a phone uploads it: with an EXIF block
// (APP1) holding ExifMarker, where a camera writes the place.
func Photo() []byte {
	m := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	m.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, nil); err != nil {
		panic(err) // an in-memory RGBA always encodes
	}
	b := buf.Bytes()
	payload := append([]byte("Exif\x00\x00"), ExifMarker...)
	app1 := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{}, b[:2]...), append(app1, payload...)...), b[2:]...)
}

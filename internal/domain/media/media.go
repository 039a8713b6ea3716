// Package media checks, cleans, stores and serves the pictures users post
// (the pictures of "wow" statuses).
//
// Pictures straight from a phone carry metadata: EXIF with the GPS position
// where the photo was taken, the phone model and serial numbers, the time;
// XMP and IPTC blocks; PNG text chunks. Publishing it leaks where a student
// lives or studies. Clean is therefore the only way in: it accepts JPEG and
// PNG only (detected from the bytes, never from a file name or a client's
// declared type), refuses oversized pictures and decompression bombs before
// decoding them, and returns a picture with no metadata at all.
//
// # How metadata is removed
//
// Clean decodes the picture and encodes the pixels again (JPEG at quality
// JPEGQuality, PNG with the default compression). Nothing of the original
// file survives but the pixels, so no metadata can slip through an unusual
// segment, a malformed length or a container trick, and polyglot files (a
// picture that is also a ZIP, HTML or script) lose their payload. The costs:
// a JPEG loses a little quality (quality 90 is visually lossless for photos),
// and the EXIF Orientation tag would be lost, so Clean applies it to the
// pixels first (a portrait photo stored sideways with Orientation=6 comes
// out upright, with width and height swapped) and then drops it.
//
// The one thing carried over is the ICC colour profile (JPEG APP2
// ICC_PROFILE, PNG iCCP), and only when it is a well-formed profile of the
// output's colour space (RGB, or grey for a grey picture): without it the
// Display P3 photos of recent phones look washed out. A profile describes
// colours, not the photo or its author. PNG iCCP is rewritten with a fixed
// name, so even its free-text name field does not survive.
//
// Errors never repeat any of the content: they are *apperr.Error values the
// graph may show as they are (wrapped with a short reason for logs); compare
// with errors.Is.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/imageformat"
)

// The errors of Clean. Each may be wrapped with a reason (for logs), so
// compare with errors.Is; the reason holds only numbers and fixed words.
var (
	// ErrTooLarge: the file is larger than Limits.MaxBytes.
	ErrTooLarge = apperr.BadInput("the picture is too large")
	// ErrUnsupportedType: empty, or not a JPEG or PNG (GIF, WebP, HEIC, SVG,
	// BMP, …), or a rare JPEG/PNG variant the decoder does not support
	// (arithmetic-coded or 12-bit JPEG, …).
	ErrUnsupportedType = apperr.BadInput("only JPEG and PNG pictures are accepted")
	// ErrCorrupt: the file starts like a JPEG or PNG but is truncated,
	// malformed, or followed by data that is not part of the picture.
	ErrCorrupt = apperr.BadInput("the picture is damaged and cannot be read")
	// ErrTooManyPixels: width×height above Limits.MaxPixels, or a side above
	// Limits.MaxSide (the typical decompression bomb: a small file that would
	// decode to gigabytes).
	ErrTooManyPixels = apperr.BadInput("the picture has too many pixels")
)

// Content types of the pictures Clean returns.
const (
	JPEG = imageformat.JPEG
	PNG  = imageformat.PNG
)

// JPEGQuality is the quality JPEG pictures are encoded again with.
const JPEGQuality = 90

// Limits bound what Clean accepts. A field that is zero or negative takes
// its value from DefaultLimits (a zero Limits is not "unlimited").
//
// Decoding needs memory for the whole raster, up to 8 bytes a pixel for
// 16-bit PNG (4 for photos) and twice that while the orientation is
// applied: MaxPixels 40e6 means up to ~320 MB for the worst PNG. Callers
// that clean many pictures at once should bound the concurrency.
type Limits struct {
	MaxBytes  int // size of the file
	MaxPixels int // width*height, e.g. 40e6
	MaxSide   int // width and height each
}

// DefaultLimits suit phone photos: 20 MiB, 40 megapixels, 16384 px a side.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxPixels: 40_000_000, MaxSide: 16384}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultLimits.MaxSide
	}
	return l
}

// Image is a cleaned picture, ready to be stored.
type Image struct {
	Data        []byte // the encoded picture, without metadata
	ContentType string // JPEG or PNG, the same type as the input
	Width       int    // after the EXIF orientation was applied
	Height      int
	SHA256      string // lowercase hex SHA-256 of Data (a check of Data, not its Store key)
}

// maxTrailing is how many bytes of anything may follow the end of the
// picture (the JPEG EOI marker, the PNG IEND chunk); beyond that, only
// padding (0x00 or 0xFF bytes, which some cameras write) is tolerated.
// Anything else, such as a ZIP, HTML or a second picture appended to make
// a polyglot, makes the file ErrCorrupt. This refuses the "motion photos"
// some phones write (a video appended after the JPEG); they must be
// exported as plain pictures first.
const maxTrailing = 64

// Clean checks data and returns it without metadata, encoded again; see the
// package documentation. Checks, in order: size, type (magic numbers),
// structure (the JPEG segments or PNG chunks must be complete and end
// properly, PNG CRCs must match), dimensions from the header, and only then
// the full decode.
func Clean(data []byte, limits Limits) (img *Image, err error) {
	limits = limits.withDefaults()
	if len(data) > limits.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), limits.MaxBytes)
	}
	kind := Detect(data)
	if kind == "" {
		return nil, ErrUnsupportedType
	}
	// The decoders are fuzzed and should not panic; should one do so on a
	// hostile file anyway, refuse the file rather than crash the server.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: decoder failure", ErrCorrupt)
		}
	}()

	var s scan
	if kind == JPEG {
		s, err = scanJPEG(data)
	} else {
		s, err = scanPNG(data)
	}
	if err != nil {
		return nil, err
	}
	if !trailingOK(data[s.end:]) {
		return nil, fmt.Errorf("%w: %d bytes of unexpected data after the end of the picture",
			ErrCorrupt, len(data)-s.end)
	}
	body := data[:s.end]

	// Dimensions from the header only: refuse bombs before any allocation
	// proportional to the pixel count.
	var cfg image.Config
	if kind == JPEG {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(body))
	} else {
		cfg, err = png.DecodeConfig(bytes.NewReader(body))
	}
	if err != nil {
		return nil, decodeError(err)
	}
	if err := checkDimensions(cfg.Width, cfg.Height, limits); err != nil {
		return nil, err
	}

	var m image.Image
	if kind == JPEG {
		m, err = jpeg.Decode(bytes.NewReader(body))
	} else {
		m, err = png.Decode(bytes.NewReader(body))
	}
	if err != nil {
		return nil, decodeError(err)
	}
	if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: decoded size differs from the header", ErrCorrupt)
	}

	m = applyOrientation(m, exifOrientation(s.exif))

	var out bytes.Buffer
	out.Grow(len(body))
	if kind == JPEG {
		err = jpeg.Encode(&out, m, &jpeg.Options{Quality: JPEGQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&out, m)
	}
	if err != nil {
		return nil, fmt.Errorf("media: encoding the cleaned picture: %w", err)
	}
	enc := out.Bytes()
	if kind == JPEG {
		enc = addJPEGICC(enc, jpegICC(s.iccChunks), colorSpaceOf(m))
	} else {
		enc = addPNGICC(enc, pngICC(s.iccp), colorSpaceOf(m))
	}

	// Cheap self-check of what will be stored.
	var got image.Config
	if kind == JPEG {
		got, err = jpeg.DecodeConfig(bytes.NewReader(enc))
	} else {
		got, err = png.DecodeConfig(bytes.NewReader(enc))
	}
	b := m.Bounds()
	if err != nil || got.Width != b.Dx() || got.Height != b.Dy() {
		return nil, errors.New("media: the cleaned picture does not read back")
	}

	sum := sha256.Sum256(enc)
	return &Image{
		Data:        enc,
		ContentType: kind,
		Width:       b.Dx(),
		Height:      b.Dy(),
		SHA256:      hex.EncodeToString(sum[:]),
	}, nil
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n") // PNG's signature, where scanning starts

// Detect returns JPEG or PNG from the magic numbers, or "".
func Detect(b []byte) string { return imageformat.Detect(b) }

func checkDimensions(w, h int, l Limits) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: empty picture", ErrCorrupt)
	}
	if w > l.MaxSide || h > l.MaxSide || int64(w)*int64(h) > int64(l.MaxPixels) {
		return fmt.Errorf("%w: %dx%d pixels, at most %d pixels and %d a side",
			ErrTooManyPixels, w, h, l.MaxPixels, l.MaxSide)
	}
	return nil
}

// decodeError maps a decoder error to ErrUnsupportedType or ErrCorrupt,
// without its text.
func decodeError(err error) error {
	var ju jpeg.UnsupportedError
	var pu png.UnsupportedError
	if errors.As(err, &ju) || errors.As(err, &pu) {
		return fmt.Errorf("%w: unsupported variant", ErrUnsupportedType)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: truncated", ErrCorrupt)
	}
	return fmt.Errorf("%w: does not decode", ErrCorrupt)
}

// trailingOK reports whether t, the bytes after the end of the picture, are
// within reason; see maxTrailing.
func trailingOK(t []byte) bool {
	if len(t) <= maxTrailing {
		return true
	}
	for _, c := range t {
		if c != 0x00 && c != 0xFF {
			return false
		}
	}
	return true
}

package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// scan is what Clean needs from the structure of the file before decoding.
type scan struct {
	end       int      // offset just after the last byte of the picture
	exif      []byte   // TIFF structure of the first EXIF block, if any
	iccChunks [][]byte // JPEG: APP2 ICC_PROFILE payloads after the signature
	iccp      []byte   // PNG: body of the iCCP chunk
}

var (
	errTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
	exifPrefix   = []byte("Exif\x00\x00")
	iccPrefix    = []byte("ICC_PROFILE\x00")
)

// maxICCChunks bounds the APP2 ICC_PROFILE segments collected (the format
// allows 255 of ~64 KiB each).
const maxICCChunks = 64

// scanJPEG walks the marker segments of a JPEG (b starts with SOI) up to
// EOI, including the entropy-coded data after each SOS, and returns where
// the picture ends. It refuses truncated or malformed structure.
func scanJPEG(b []byte) (scan, error) {
	var s scan
	sawSOF, sawSOS := false, false
	i := 2 // after SOI
	for {
		if i >= len(b) {
			return s, errTruncated
		}
		if b[i] != 0xFF {
			return s, fmt.Errorf("%w: bytes between JPEG segments", ErrCorrupt)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes may precede a marker
			i++
		}
		if i >= len(b) {
			return s, errTruncated
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // EOI
			if !sawSOS {
				return s, fmt.Errorf("%w: JPEG without image data", ErrCorrupt)
			}
			s.end = i
			return s, nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01: // RSTn, TEM: no length
			continue
		case m == 0x00, m == 0xD8:
			return s, fmt.Errorf("%w: unexpected JPEG marker", ErrCorrupt)
		}
		if i+2 > len(b) {
			return s, errTruncated
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 {
			return s, fmt.Errorf("%w: bad JPEG segment length", ErrCorrupt)
		}
		if i+n > len(b) {
			return s, errTruncated
		}
		seg := b[i+2 : i+n]
		i += n
		switch {
		case m == 0xE1: // APP1: EXIF or XMP; only the first EXIF counts
			if s.exif == nil && bytes.HasPrefix(seg, exifPrefix) {
				s.exif = seg[len(exifPrefix):]
			}
		case m == 0xE2: // APP2: ICC profile, in numbered chunks
			if bytes.HasPrefix(seg, iccPrefix) && len(seg) >= len(iccPrefix)+2 &&
				len(s.iccChunks) < maxICCChunks {
				s.iccChunks = append(s.iccChunks, seg[len(iccPrefix):])
			}
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC: // SOFn
			sawSOF = true
		case m == 0xDA: // SOS: entropy-coded data follows, up to the next marker
			if !sawSOF {
				return s, fmt.Errorf("%w: JPEG scan before frame header", ErrCorrupt)
			}
			sawSOS = true
			for {
				j := bytes.IndexByte(b[i:], 0xFF)
				if j < 0 || i+j+1 >= len(b) {
					return s, errTruncated
				}
				i += j
				c := b[i+1]
				if c == 0x00 || (c >= 0xD0 && c <= 0xD7) { // stuffed 0xFF, RSTn
					i += 2
					continue
				}
				if c == 0xFF { // fill byte
					i++
					continue
				}
				break // a marker: back to the segment loop
			}
		}
	}
}

// maxPNGChunk is the largest chunk length the PNG specification allows.
const maxPNGChunk = 1<<31 - 1

// scanPNG walks the chunks of a PNG (b starts with the signature) up to
// IEND, checking every length and CRC, and returns where the picture ends.
func scanPNG(b []byte) (scan, error) {
	var s scan
	i := len(pngMagic)
	for first := true; ; first = false {
		if i+8 > len(b) {
			return s, errTruncated
		}
		n := uint64(binary.BigEndian.Uint32(b[i:]))
		if n > maxPNGChunk {
			return s, fmt.Errorf("%w: bad PNG chunk length", ErrCorrupt)
		}
		if uint64(i)+12+n > uint64(len(b)) {
			return s, errTruncated
		}
		typ := string(b[i+4 : i+8])
		body := b[i+8 : i+8+int(n)]
		crc := binary.BigEndian.Uint32(b[i+8+int(n):])
		if crc32.ChecksumIEEE(b[i+4:i+8+int(n)]) != crc {
			return s, fmt.Errorf("%w: PNG checksum mismatch", ErrCorrupt)
		}
		if first && typ != "IHDR" {
			return s, fmt.Errorf("%w: PNG does not start with IHDR", ErrCorrupt)
		}
		i += 12 + int(n)
		switch typ {
		case "eXIf":
			if s.exif == nil {
				s.exif = body
			}
		case "iCCP":
			if s.iccp == nil {
				s.iccp = body
			}
		case "IEND":
			s.end = i
			return s, nil
		}
	}
}

// exifOrientation returns the Orientation tag (0x0112) of IFD0 of a TIFF
// structure, or 1 (normal) if it is missing, malformed or out of range.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	size := uint64(len(tiff))
	off := uint64(bo.Uint32(tiff[4:]))
	if off+2 > size {
		return 1
	}
	count := uint64(bo.Uint16(tiff[off:]))
	for k := uint64(0); k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > size {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ := bo.Uint16(tiff[e+2:]); {
		case typ == 3 && bo.Uint32(tiff[e+4:]) >= 1: // SHORT, as specified
			v = uint32(bo.Uint16(tiff[e+8:]))
		case typ == 4 && bo.Uint32(tiff[e+4:]) >= 1: // LONG, seen in the wild
			v = bo.Uint32(tiff[e+8:])
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 1
	}
	return 1
}

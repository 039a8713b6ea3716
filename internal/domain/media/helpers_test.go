package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// ---- a tiny TIFF (EXIF) writer ----

// order is binary.BigEndian or binary.LittleEndian.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type tiffTag struct {
	id, typ uint16
	count   uint32
	val     []byte // encoded in the file's byte order
}

const (
	tByte     = 1
	tASCII    = 2
	tShort    = 3
	tLong     = 4
	tRational = 5
)

func tASCIIVal(id uint16, s string) tiffTag {
	v := append([]byte(s), 0)
	return tiffTag{id, tASCII, uint32(len(v)), v}
}

func tShortVal(bo order, id uint16, v uint16) tiffTag {
	return tiffTag{id, tShort, 1, bo.AppendUint16(nil, v)}
}

func tRationals(bo order, id uint16, nd ...uint32) tiffTag {
	var v []byte
	for _, x := range nd {
		v = bo.AppendUint32(v, x)
	}
	return tiffTag{id, tRational, uint32(len(nd) / 2), v}
}

// exifTIFF builds a TIFF structure with IFD0 (ImageDescription, Orientation
// and a pointer to a GPS IFD) and a GPS IFD (latitude 39°54'N, longitude
// 116°18'E, datum WGS-84): what a phone writes.
func exifTIFF(bo order, orientation uint16) []byte {
	ifd0 := []tiffTag{
		tASCIIVal(0x010E, "GPS secret place"), // ImageDescription
		tASCIIVal(0x010F, "PhoneMaker"),       // Make
		tShortVal(bo, 0x0112, orientation),    // Orientation
		{0x8825, tLong, 1, nil},               // GPSInfo IFD pointer, set below
	}
	gps := []tiffTag{
		{0x0000, tByte, 4, []byte{2, 3, 0, 0}}, // GPSVersionID
		tASCIIVal(0x0001, "N"),
		tRationals(bo, 0x0002, 39, 1, 54, 1, 0, 1),
		tASCIIVal(0x0003, "E"),
		tRationals(bo, 0x0004, 116, 1, 18, 1, 0, 1),
		tASCIIVal(0x0012, "WGS-84"),
	}
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0Off := 8
	gpsOff := ifd0Off + ifdSize(len(ifd0))
	dataOff := gpsOff + ifdSize(len(gps))
	ifd0[3].val = bo.AppendUint32(nil, uint32(gpsOff))

	var data []byte
	writeIFD := func(out []byte, tags []tiffTag) []byte {
		out = bo.AppendUint16(out, uint16(len(tags)))
		for _, t := range tags {
			out = bo.AppendUint16(out, t.id)
			out = bo.AppendUint16(out, t.typ)
			out = bo.AppendUint32(out, t.count)
			if len(t.val) <= 4 {
				v := make([]byte, 4)
				copy(v, t.val)
				out = append(out, v...)
			} else {
				out = bo.AppendUint32(out, uint32(dataOff+len(data)))
				data = append(data, t.val...)
				if len(data)%2 == 1 {
					data = append(data, 0) // word alignment
				}
			}
		}
		return bo.AppendUint32(out, 0) // no next IFD
	}
	var out []byte
	if bo == order(binary.LittleEndian) {
		out = append(out, "II"...)
	} else {
		out = append(out, "MM"...)
	}
	out = bo.AppendUint16(out, 42)
	out = bo.AppendUint32(out, uint32(ifd0Off))
	out = writeIFD(out, ifd0)
	out = writeIFD(out, gps)
	if len(out) != dataOff {
		panic("tiff layout")
	}
	return append(out, data...)
}

// ---- JPEG and PNG building blocks ----

func jpegSegment(marker byte, payload []byte) []byte {
	out := []byte{0xFF, marker}
	out = binary.BigEndian.AppendUint16(out, uint16(2+len(payload)))
	return append(out, payload...)
}

// injectJPEG inserts segments right after SOI.
func injectJPEG(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

func pngChunk(typ string, body []byte) []byte {
	return appendPNGChunk(nil, typ, body)
}

// injectPNG inserts chunks right after IHDR.
func injectPNG(p []byte, chunks ...[]byte) []byte {
	const ihdrEnd = 33
	out := append([]byte{}, p[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[ihdrEnd:]...)
}

func zlibBytes(t testing.TB, b []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

const xmpPacket = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>` +
	`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
	`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="39,54.0N" exif:GPSLongitude="116,18.0E"/>` +
	`</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

// forbidden are strings that must not survive Clean.
var forbidden = []string{
	"Exif", "GPS", "http://ns.adobe.com/xap", "xmpmeta", "WGS-84", "PhoneMaker",
	"secret", "39.9,116.3", "Photoshop", "8BIM", "eXIf", "tEXt", "zTXt", "iTXt", "tIME",
}

func assertClean(t *testing.T, out []byte) {
	t.Helper()
	for _, s := range forbidden {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}
}

// testPhoto is a w×h picture: blue, with a red 16×16 block at the top-left
// corner.
func testPhoto(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{20, 40, 220, 255}
			if x < 16 && y < 16 {
				c = color.RGBA{230, 20, 20, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// phoneJPEG is a w×h JPEG as a phone writes it: EXIF with GPS and the given
// orientation (big-endian TIFF), XMP with GPS, IPTC and a comment.
func phoneJPEG(t testing.TB, w, h int, orientation uint16) []byte {
	return injectJPEG(encodeJPEG(t, testPhoto(w, h)),
		jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")),
		jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, orientation)...)),
		jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)),
		jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10secret IPTC text")),
		jpegSegment(0xFE, []byte("GPS 39.9,116.3 secret comment")),
	)
}

// phonePNG is a PNG of m with eXIf (little-endian TIFF, GPS, orientation),
// tEXt, zTXt, iTXt (XMP) and tIME chunks.
func phonePNG(t testing.TB, m image.Image, orientation uint16) []byte {
	return injectPNG(encodePNG(t, m),
		pngChunk("eXIf", exifTIFF(binary.LittleEndian, orientation)),
		pngChunk("tEXt", []byte("Comment\x00GPS: 39.9,116.3")),
		pngChunk("zTXt", append([]byte("Description\x00\x00"), zlibBytes(t, []byte("secret place"))...)),
		pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket...)),
		pngChunk("tIME", []byte{0x07, 0xE9, 5, 1, 12, 0, 0}),
	)
}

// jpegHeaderMarkers lists the markers of a JPEG up to its first SOS.
func jpegHeaderMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	var ms []byte
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xDA {
			return ms
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	t.Fatal("no SOS")
	return nil
}

// pngChunkTypes lists the chunk types of a PNG.
func pngChunkTypes(t *testing.T, b []byte) []string {
	t.Helper()
	var ts []string
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		ts = append(ts, string(b[i+4:i+8]))
		if crc32.ChecksumIEEE(b[i+4:i+8+n]) != binary.BigEndian.Uint32(b[i+8+n:]) {
			t.Fatalf("bad CRC in output chunk %s", b[i+4:i+8])
		}
		i += 12 + n
	}
	return ts
}

// fakeICC is a minimal well-formed ICC profile header of colour space cs,
// padded to size bytes.
func fakeICC(cs string, size int) []byte {
	p := make([]byte, size)
	binary.BigEndian.PutUint32(p, uint32(size))
	copy(p[4:], "test")
	copy(p[12:], "mntr")
	copy(p[16:], cs)
	copy(p[20:], "XYZ ")
	copy(p[36:], "acsp")
	for i := 132; i < size; i++ {
		p[i] = byte(i * 7)
	}
	return p
}

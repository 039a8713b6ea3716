package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func checkImage(t *testing.T, img *Image, ct string, w, h int) image.Image {
	t.Helper()
	if img.ContentType != ct {
		t.Errorf("ContentType = %q, want %q", img.ContentType, ct)
	}
	if img.Width != w || img.Height != h {
		t.Errorf("size = %dx%d, want %dx%d", img.Width, img.Height, w, h)
	}
	sum := sha256.Sum256(img.Data)
	if img.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 does not match Data")
	}
	var m image.Image
	var err error
	if ct == JPEG {
		m, err = jpeg.Decode(bytes.NewReader(img.Data))
	} else {
		m, err = png.Decode(bytes.NewReader(img.Data))
	}
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("decoded size = %v, want %dx%d", b, w, h)
	}
	assertClean(t, img.Data)
	return m
}

func TestCleanJPEGStripsMetadata(t *testing.T) {
	in := phoneJPEG(t, 64, 32, 1)
	// The fixture really holds what must be removed.
	for _, s := range []string{"Exif", "GPS", "http://ns.adobe.com/xap", "WGS-84", "8BIM"} {
		if !bytes.Contains(in, []byte(s)) {
			t.Fatalf("fixture lacks %q", s)
		}
	}
	if o := exifOrientation(bytes.SplitN(in, []byte("Exif\x00\x00"), 2)[1]); o != 1 {
		t.Fatalf("fixture orientation = %d", o)
	}
	img, err := Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, JPEG, 64, 32)
	for _, m := range jpegHeaderMarkers(t, img.Data) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("output has APP%d/COM marker %#x", m-0xE0, m)
		}
	}
}

func TestCleanPNGStripsMetadata(t *testing.T) {
	src := testPhoto(40, 20)
	in := phonePNG(t, src, 1)
	img, err := Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := checkImage(t, img, PNG, 40, 20)
	for _, typ := range pngChunkTypes(t, img.Data) {
		if !slices.Contains([]string{"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}, typ) {
			t.Errorf("output has chunk %q", typ)
		}
	}
	// Lossless: every pixel is kept.
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			if !sameColor(m.At(x, y), src.At(x, y)) {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, m.At(x, y), src.At(x, y))
			}
		}
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// forward gives where orientation o moves source pixel (x, y) of a w×h
// picture when displayed (EXIF 2.3, tag 0x0112), written independently of
// the package's inverse mapping.
func forward(o, w, h, x, y int) (int, int) {
	switch o {
	case 2: // mirror left-right
		return w - 1 - x, y
	case 3: // rotate 180
		return w - 1 - x, h - 1 - y
	case 4: // mirror top-bottom
		return x, h - 1 - y
	case 5: // transpose: top-left stays top-left
		return y, x
	case 6: // 90° clockwise: top-left goes top-right
		return h - 1 - y, x
	case 7: // transverse: top-left goes bottom-right
		return h - 1 - y, w - 1 - x
	case 8: // 90° counter-clockwise: top-left goes bottom-left
		return y, w - 1 - x
	}
	return x, y
}

// Every orientation, exactly, on a lossless PNG whose every pixel differs.
func TestCleanPNGOrientation(t *testing.T) {
	const w, h = 5, 3
	src := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(40 * x), uint8(60 * y), 7, 255})
		}
	}
	for o := 1; o <= 8; o++ {
		img, err := Clean(phonePNG(t, src, uint16(o)), Limits{})
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
		}
		m := checkImage(t, img, PNG, dw, dh)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dx, dy := forward(o, w, h, x, y)
				if !sameColor(m.At(dx, dy), src.At(x, y)) {
					t.Errorf("orientation %d: source %d,%d not at %d,%d", o, x, y, dx, dy)
				}
			}
		}
	}
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 180 && g>>8 < 80 && b>>8 < 80
}

func isBlue(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 < 80 && g>>8 < 100 && b>>8 > 180
}

// A 64×32 JPEG with a red block in its top-left corner, in every
// orientation; 6 is the usual portrait phone photo (rotate 90° CW: the
// corner goes top-right and the picture becomes 32×64).
func TestCleanJPEGOrientation(t *testing.T) {
	const w, h = 64, 32
	for o := 1; o <= 8; o++ {
		img, err := Clean(phoneJPEG(t, w, h, uint16(o)), Limits{})
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
		}
		m := checkImage(t, img, JPEG, dw, dh)
		rx, ry := forward(o, w, h, 8, 8)     // centre of the red block
		bx, by := forward(o, w, h, w-8, h-8) // opposite corner
		if !isRed(m.At(rx, ry)) || !isBlue(m.At(bx, by)) {
			t.Errorf("orientation %d: %d,%d = %v (want red), %d,%d = %v (want blue)",
				o, rx, ry, m.At(rx, ry), bx, by, m.At(bx, by))
		}
		if o == 6 && !(rx == dw-9 && ry == 8) {
			t.Errorf("orientation 6 maps the top-left corner to %d,%d", rx, ry)
		}
	}
}

func TestExifOrientationParser(t *testing.T) {
	for _, bo := range []order{binary.BigEndian, binary.LittleEndian} {
		for o := uint16(0); o <= 10; o++ {
			want := int(o)
			if o < 1 || o > 8 {
				want = 1
			}
			if got := exifOrientation(exifTIFF(bo, o)); got != want {
				t.Errorf("%v orientation %d: got %d", bo, o, got)
			}
		}
	}
	full := exifTIFF(binary.BigEndian, 6)
	for n := range len(full) { // truncated structures never panic
		exifOrientation(full[:n])
	}
	for _, junk := range [][]byte{nil, []byte("MM\x00\x2a\xff\xff\xff\xff"), []byte("XX\x00\x2a\x00\x00\x00\x08")} {
		if got := exifOrientation(junk); got != 1 {
			t.Errorf("junk: %d", got)
		}
	}
}

func TestCleanKeepsICCProfile(t *testing.T) {
	icc := fakeICC(iccRGB, 70000) // two APP2 chunks
	split := iccChunkData
	chunk := func(seq, n byte, p []byte) []byte {
		return jpegSegment(0xE2, append(append([]byte("ICC_PROFILE\x00"), seq, n), p...))
	}
	in := injectJPEG(phoneJPEG(t, 32, 32, 6), chunk(2, 2, icc[split:]), chunk(1, 2, icc[:split]))
	img, err := Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, JPEG, 32, 32)
	s, err := scanJPEG(img.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got := jpegICC(s.iccChunks); !bytes.Equal(got, icc) {
		t.Errorf("ICC profile not carried over (%d bytes)", len(got))
	}

	// A CMYK profile does not describe the RGB output: dropped.
	in = injectJPEG(phoneJPEG(t, 32, 32, 1), chunk(1, 1, fakeICC("CMYK", 200)))
	img, err = Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(img.Data, []byte("ICC_PROFILE")) {
		t.Error("CMYK profile kept on an RGB picture")
	}

	// PNG: kept, under a fixed name.
	icc = fakeICC(iccRGB, 3000)
	iccp := append([]byte("My Secret Name\x00\x00"), zlibBytes(t, icc)...)
	in = injectPNG(phonePNG(t, testPhoto(20, 20), 1), pngChunk("iCCP", iccp))
	img, err = Clean(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, PNG, 20, 20)
	s, err = scanPNG(img.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got := pngICC(s.iccp); !bytes.Equal(got, icc) {
		t.Error("iCCP not carried over")
	}
	if bytes.Contains(img.Data, []byte("My Secret Name")) {
		t.Error("iCCP name kept")
	}
}

func TestCleanTrailingData(t *testing.T) {
	j := phoneJPEG(t, 16, 16, 1)
	p := phonePNG(t, testPhoto(16, 16), 1)
	zip := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("<script>alert(1)</script>"), 100)...)
	for name, in := range map[string][]byte{
		"jpeg+zip":                          append(slices.Clone(j), zip...),
		"png+zip":                           append(slices.Clone(p), zip...),
		"jpeg+jpeg (polyglot/second image)": append(slices.Clone(j), j...),
	} {
		_, err := Clean(in, Limits{})
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
	for name, in := range map[string][]byte{
		"jpeg+zero padding": append(slices.Clone(j), make([]byte, 4096)...),
		"jpeg+few bytes":    append(slices.Clone(j), "\r\n0123"...),
		"png+few bytes":     append(slices.Clone(p), "\n"...),
	} {
		if _, err := Clean(in, Limits{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCleanRefusals(t *testing.T) {
	j := phoneJPEG(t, 64, 32, 1)
	var g bytes.Buffer
	if err := gif.Encode(&g, testPhoto(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	bmp := append([]byte("BM"), make([]byte, 60)...)
	cases := []struct {
		name   string
		in     []byte
		limits Limits
		want   error
	}{
		{"empty", []byte{}, Limits{}, ErrUnsupportedType},
		{"nil", nil, Limits{}, ErrUnsupportedType},
		{"oversize", j, Limits{MaxBytes: len(j) - 1}, ErrTooLarge},
		{"oversize default", make([]byte, DefaultLimits.MaxBytes+1), Limits{}, ErrTooLarge},
		{"gif", g.Bytes(), Limits{}, ErrUnsupportedType},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00<script>alert(1)</script>"), Limits{}, ErrUnsupportedType},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), Limits{}, ErrUnsupportedType},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic<script>alert(1)</script>"), Limits{}, ErrUnsupportedType},
		{"bmp", bmp, Limits{}, ErrUnsupportedType},
		{"html", []byte("<html><script>alert(1)</script>"), Limits{}, ErrUnsupportedType},
		{"random", random, Limits{}, ErrUnsupportedType},
		{"jpeg magic + random", append([]byte{0xFF, 0xD8, 0xFF}, random...), Limits{}, ErrCorrupt},
		{"png magic + random", append(slices.Clone(pngMagic), random...), Limits{}, ErrCorrupt},
		{"png signature only", slices.Clone(pngMagic), Limits{}, ErrCorrupt},
		{"jpeg SOI+EOI", []byte{0xFF, 0xD8, 0xFF, 0xD9}, Limits{}, ErrCorrupt},
		{"too wide", encodePNG(t, image.NewGray(image.Rect(0, 0, 5000, 2))), Limits{MaxSide: 4096}, ErrTooManyPixels},
		{"too many pixels", j, Limits{MaxPixels: 64*32 - 1}, ErrTooManyPixels},
	}
	for _, c := range cases {
		start := time.Now()
		img, err := Clean(c.in, c.limits)
		if img != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, img, err, c.want)
			continue
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
		for _, leak := range []string{"script", "svg", "PK", "ftyp", "WEBP"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: error %q repeats content", c.name, err)
			}
		}
	}
	// The refusals are errors the graph may show as they are.
	if _, err := Clean(nil, Limits{}); err.Error() != "only JPEG and PNG pictures are accepted" {
		t.Errorf("message %q", err)
	}
}

// Every truncation of a valid JPEG or PNG is refused, none panics.
func TestCleanTruncated(t *testing.T) {
	for name, in := range map[string][]byte{
		"jpeg": phoneJPEG(t, 64, 32, 6),
		"png":  phonePNG(t, testPhoto(30, 30), 6),
	} {
		for n := 3; n < len(in); n++ {
			_, err := Clean(in[:n], Limits{})
			want := ErrCorrupt
			if name == "png" && n < len(pngMagic) {
				want = ErrUnsupportedType
			}
			if !errors.Is(err, want) {
				t.Fatalf("%s cut at %d of %d: err = %v", name, n, len(in), err)
			}
		}
	}
}

// Flipped bytes: refused or cleaned, never a panic, never metadata.
func TestCleanCorrupted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, in := range map[string][]byte{
		"jpeg": phoneJPEG(t, 32, 32, 6),
		"png":  phonePNG(t, testPhoto(16, 16), 6),
	} {
		for range 300 {
			b := slices.Clone(in)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			img, err := Clean(b, Limits{})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedType) &&
					!errors.Is(err, ErrTooManyPixels) {
					t.Fatalf("%s: unexpected error %v", name, err)
				}
				continue
			}
			assertClean(t, img.Data)
		}
	}
}

// bombPNG is a valid-looking PNG whose header claims w×h RGB pixels, with a
// tiny IDAT: decoding it would allocate w*h*3 bytes (30 GB here).
func bombPNG(t testing.TB, w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out := slices.Clone(pngMagic)
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", zlibBytes(t, make([]byte, 1000)))...)
	return append(out, pngChunk("IEND", nil)...)
}

// bombJPEG is a real small JPEG whose frame header claims 60000×60000.
func bombJPEG(t testing.TB) []byte {
	b := encodeJPEG(t, testPhoto(16, 16))
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], 60000) // height
	binary.BigEndian.PutUint16(b[i+7:], 60000) // width
	return b
}

func TestCleanDecompressionBomb(t *testing.T) {
	for name, in := range map[string][]byte{
		"png 100000x100000": bombPNG(t, 100000, 100000),
		"jpeg 60000x60000":  bombJPEG(t),
	} {
		if _, err := Clean(in, Limits{}); !errors.Is(err, ErrTooManyPixels) {
			t.Fatalf("%s: err = %v, want ErrTooManyPixels", name, err)
		}
		// Refused from the header: a handful of small allocations, no
		// raster, and fast.
		allocs := testing.AllocsPerRun(20, func() { Clean(in, Limits{}) })
		if allocs > 30 {
			t.Errorf("%s: %v allocations per refusal", name, allocs)
		}
		// Bytes, not time: a busy machine cannot make this fail.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 10 {
			Clean(in, Limits{})
		}
		runtime.ReadMemStats(&after)
		if perCall := (after.TotalAlloc - before.TotalAlloc) / 10; perCall > 64<<10 {
			t.Errorf("%s: %d bytes allocated per refusal", name, perCall)
		}
		t.Logf("%s: %.0f allocs/refusal", name, allocs)
	}
}

// Other pixel types survive (grey, paletted, 16-bit) and are rotated.
func TestCleanPNGPixelTypes(t *testing.T) {
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}})
	pal.Pix = []byte{0, 1, 2, 2, 1, 0}
	g16 := image.NewGray16(image.Rect(0, 0, 3, 2))
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	n64 := image.NewNRGBA64(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		g16.SetGray16(i%3, i/3, color.Gray16{uint16(i * 10000)})
		g.SetGray(i%3, i/3, color.Gray{uint8(i * 40)})
		n64.SetNRGBA64(i%3, i/3, color.NRGBA64{uint16(i * 9000), 1, 2, uint16(30000 + i)})
	}
	for name, src := range map[string]image.Image{"paletted": pal, "gray16": g16, "gray": g, "nrgba64": n64} {
		img, err := Clean(phonePNG(t, src, 8), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := checkImage(t, img, PNG, 2, 3)
		for y := 0; y < 2; y++ {
			for x := 0; x < 3; x++ {
				dx, dy := forward(8, 3, 2, x, y)
				if !sameColor(m.At(dx, dy), src.At(x, y)) {
					t.Errorf("%s: pixel %d,%d", name, x, y)
				}
			}
		}
		if want, got := fmt.Sprintf("%T", src), fmt.Sprintf("%T", m); want != got {
			t.Errorf("%s: pixel type changed to %s", name, got)
		}
	}
}

func TestCleanGrayJPEG(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 32, 16))
	for i := range g.Pix {
		g.Pix[i] = uint8(i)
	}
	iccSeg := func(p []byte) []byte {
		return jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), p...))
	}
	grayICC, rgbICC := fakeICC(iccGray, 500), fakeICC(iccRGB, 500)
	for _, c := range []struct {
		icc  []byte
		kept bool
	}{{grayICC, true}, {rgbICC, false}} {
		in := injectJPEG(encodeJPEG(t, g),
			jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(binary.LittleEndian, 6)...)),
			iccSeg(c.icc))
		img, err := Clean(in, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		m := checkImage(t, img, JPEG, 16, 32)
		if _, ok := m.(*image.Gray); !ok {
			t.Errorf("grey JPEG became %T", m)
		}
		s, err := scanJPEG(img.Data)
		if err != nil {
			t.Fatal(err)
		}
		if kept := bytes.Equal(jpegICC(s.iccChunks), c.icc); kept != c.kept {
			t.Errorf("profile %s on a grey JPEG: kept = %v", c.icc[16:20], kept)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add(phoneJPEG(f, 16, 16, 6))
	f.Add(phonePNG(f, testPhoto(8, 8), 3))
	f.Add(bombPNG(f, 100000, 100000))
	f.Fuzz(func(t *testing.T, in []byte) {
		img, err := Clean(in, Limits{MaxPixels: 1 << 20})
		if err != nil {
			return
		}
		sum := sha256.Sum256(img.Data)
		if img.SHA256 != hex.EncodeToString(sum[:]) || Detect(img.Data) != img.ContentType {
			t.Fatal("inconsistent Image")
		}
		if bytes.Contains(img.Data, []byte("Exif\x00\x00")) {
			t.Fatal("EXIF survived")
		}
	})
}

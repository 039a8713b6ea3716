package media

import (
	"image"
	"image/color"
)

// applyOrientation returns m transformed so that it displays upright
// without the EXIF Orientation tag o (1-8, as in EXIF 2.3 / TIFF 6.0):
//
//	1 as is                         5 transpose (mirror + rotate 270° CW)
//	2 mirror left-right             6 rotate 90° clockwise
//	3 rotate 180°                   7 transverse (mirror + rotate 90° CW)
//	4 mirror top-bottom             8 rotate 270° clockwise (90° CCW)
//
// The pixel type is kept (a grey picture stays grey, a paletted PNG stays
// paletted, 16-bit stays 16-bit), except that a JPEG's subsampled YCbCr
// becomes 4:4:4 YCbCr, copied without any colour conversion.
func applyOrientation(m image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	// src maps a destination pixel to its source pixel, both relative to
	// their rectangle's origin.
	var src func(x, y int) (int, int)
	switch o {
	case 2:
		src = func(x, y int) (int, int) { return w - 1 - x, y }
	case 3:
		src = func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }
	case 4:
		src = func(x, y int) (int, int) { return x, h - 1 - y }
	case 5:
		src = func(x, y int) (int, int) { return y, x }
	case 6:
		src = func(x, y int) (int, int) { return y, h - 1 - x }
	case 7:
		src = func(x, y int) (int, int) { return w - 1 - y, h - 1 - x }
	case 8:
		src = func(x, y int) (int, int) { return w - 1 - y, x }
	}
	r := image.Rect(0, 0, dw, dh)

	switch s := m.(type) {
	case *image.YCbCr:
		d := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
		for y := 0; y < dh; y++ {
			for x := 0; x < dw; x++ {
				sx, sy := src(x, y)
				sx, sy = sx+b.Min.X, sy+b.Min.Y
				d.Y[d.YOffset(x, y)] = s.Y[s.YOffset(sx, sy)]
				di, si := d.COffset(x, y), s.COffset(sx, sy)
				d.Cb[di], d.Cr[di] = s.Cb[si], s.Cr[si]
			}
		}
		return d
	case *image.Gray:
		d := image.NewGray(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 1, dw, dh, src)
		return d
	case *image.Gray16:
		d := image.NewGray16(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 2, dw, dh, src)
		return d
	case *image.RGBA:
		d := image.NewRGBA(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 4, dw, dh, src)
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 4, dw, dh, src)
		return d
	case *image.RGBA64:
		d := image.NewRGBA64(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 8, dw, dh, src)
		return d
	case *image.NRGBA64:
		d := image.NewNRGBA64(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 8, dw, dh, src)
		return d
	case *image.CMYK:
		d := image.NewCMYK(r)
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 4, dw, dh, src)
		return d
	case *image.Paletted:
		d := image.NewPaletted(r, append(color.Palette(nil), s.Palette...))
		permute(d.Pix, d.Stride, s.Pix, s.Stride, 1, dw, dh, src)
		return d
	default: // not produced by image/jpeg or image/png today
		d := image.NewNRGBA64(r)
		for y := 0; y < dh; y++ {
			for x := 0; x < dw; x++ {
				sx, sy := src(x, y)
				d.Set(x, y, m.At(sx+b.Min.X, sy+b.Min.Y))
			}
		}
		return d
	}
}

// permute copies the bpp-byte pixels of a Pix slice (whose first element is
// the rectangle's origin, as for every image.* type) to dst, dst(x, y)
// taking src's pixel at src(x, y).
func permute(dst []byte, dstStride int, srcPix []byte, srcStride, bpp, dw, dh int,
	src func(x, y int) (int, int)) {
	for y := 0; y < dh; y++ {
		row := dst[y*dstStride : y*dstStride+dw*bpp]
		for x := 0; x < dw; x++ {
			sx, sy := src(x, y)
			o := sy*srcStride + sx*bpp
			copy(row[x*bpp:x*bpp+bpp], srcPix[o:o+bpp])
		}
	}
}

package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
)

// maxICC bounds the ICC profile carried over (sRGB and Display P3 profiles
// are a few hundred bytes to a few KiB; camera profiles rarely exceed
// 600 KiB). A larger one is dropped.
const maxICC = 1 << 20

// Colour spaces of an ICC profile header (bytes 16-19).
const (
	iccRGB  = "RGB "
	iccGray = "GRAY"
)

// colorSpaceOf returns the ICC colour space the encoders write m in.
func colorSpaceOf(m image.Image) string {
	switch m.(type) {
	case *image.Gray, *image.Gray16:
		return iccGray
	}
	return iccRGB
}

// validICC reports whether p looks like a complete ICC profile of colour
// space cs.
func validICC(p []byte, cs string) bool {
	return len(p) >= 132 && len(p) <= maxICC &&
		binary.BigEndian.Uint32(p) == uint32(len(p)) &&
		string(p[36:40]) == "acsp" &&
		string(p[16:20]) == cs
}

// jpegICC reassembles a profile from its APP2 chunks (each: sequence
// number from 1, chunk count, data), or returns nil if any is missing,
// repeated or inconsistent.
func jpegICC(chunks [][]byte) []byte {
	if len(chunks) == 0 || int(chunks[0][1]) != len(chunks) {
		return nil
	}
	parts := make([][]byte, len(chunks))
	total := 0
	for _, c := range chunks {
		seq := int(c[0])
		if int(c[1]) != len(chunks) || seq < 1 || seq > len(chunks) || parts[seq-1] != nil {
			return nil
		}
		parts[seq-1] = c[2:]
		total += len(c) - 2
	}
	if total > maxICC {
		return nil
	}
	return bytes.Join(parts, nil)
}

// pngICC decompresses the profile of an iCCP chunk body (name, NUL,
// compression method 0, zlib data), or returns nil.
func pngICC(body []byte) []byte {
	if body == nil {
		return nil
	}
	nul := bytes.IndexByte(body, 0)
	if nul < 1 || nul > 79 || nul+2 > len(body) || body[nul+1] != 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(body[nul+2:]))
	if err != nil {
		return nil
	}
	defer zr.Close()
	p, err := io.ReadAll(io.LimitReader(zr, maxICC+1))
	if err != nil || len(p) > maxICC {
		return nil
	}
	return p
}

// iccChunkData is the most profile data one APP2 segment holds: 65535 less
// the length field, the signature and the two sequence bytes.
const iccChunkData = 65535 - 2 - 12 - 2

// addJPEGICC inserts profile p right after the SOI of the JPEG enc, if p is
// a valid profile of colour space cs; otherwise it returns enc unchanged.
func addJPEGICC(enc, p []byte, cs string) []byte {
	if !validICC(p, cs) || len(enc) < 2 {
		return enc
	}
	n := (len(p) + iccChunkData - 1) / iccChunkData
	if n > 255 {
		return enc
	}
	out := make([]byte, 0, len(enc)+len(p)+n*18)
	out = append(out, enc[:2]...) // SOI
	for k := 0; k < n; k++ {
		part := p[k*iccChunkData : min(len(p), (k+1)*iccChunkData)]
		out = append(out, 0xFF, 0xE2)
		out = binary.BigEndian.AppendUint16(out, uint16(2+len(iccPrefix)+2+len(part)))
		out = append(out, iccPrefix...)
		out = append(out, byte(k+1), byte(n))
		out = append(out, part...)
	}
	return append(out, enc[2:]...)
}

// addPNGICC inserts an iCCP chunk (with a fixed name) holding profile p
// right after the IHDR of the PNG enc, if p is a valid profile of colour
// space cs; otherwise it returns enc unchanged.
func addPNGICC(enc, p []byte, cs string) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	if !validICC(p, cs) || len(enc) < ihdrEnd || string(enc[12:16]) != "IHDR" {
		return enc
	}
	var z bytes.Buffer
	z.WriteString("ICC profile\x00\x00")
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(p); err != nil {
		return enc
	}
	if err := zw.Close(); err != nil {
		return enc
	}
	out := make([]byte, 0, len(enc)+z.Len()+12)
	out = append(out, enc[:ihdrEnd]...)
	out = appendPNGChunk(out, "iCCP", z.Bytes())
	return append(out, enc[ihdrEnd:]...)
}

func appendPNGChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

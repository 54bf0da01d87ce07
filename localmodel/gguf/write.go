package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// Writer builds a GGUF (version 3) file: metadata in the order set, then
// tensor infos and 32-byte-aligned data in the order added.
type Writer struct {
	kv      []KV
	tensors []TensorInfo
	data    [][]byte
}

// Set adds a metadata entry. The type follows the Go type: uint8 … float64,
// bool, string, and slices of string, float32, int32 and uint32.
func (w *Writer) Set(key string, v any) {
	var t ValueType
	switch v.(type) {
	case uint8:
		t = TypeUint8
	case int8:
		t = TypeInt8
	case uint16:
		t = TypeUint16
	case int16:
		t = TypeInt16
	case uint32:
		t = TypeUint32
	case int32:
		t = TypeInt32
	case float32:
		t = TypeFloat32
	case bool:
		t = TypeBool
	case string:
		t = TypeString
	case uint64:
		t = TypeUint64
	case int64:
		t = TypeInt64
	case float64:
		t = TypeFloat64
	case []string, []float32, []int32, []uint32:
		t = TypeArray
	default:
		panic(fmt.Sprintf("gguf: Set(%q): unsupported value type %T", key, v))
	}
	for i := range w.kv {
		if w.kv[i].Key == key {
			w.kv[i] = KV{key, t, v}
			return
		}
	}
	w.kv = append(w.kv, KV{key, t, v})
}

// AddTensor adds a tensor with dims in ggml order (row length first) and
// its encoded data (see Encode).
func (w *Writer) AddTensor(name string, t Type, dims []uint64, data []byte) error {
	ti := TensorInfo{Name: name, Type: t, Dims: append([]uint64(nil), dims...)}
	if !t.Known() || len(dims) == 0 || len(dims) > maxDims || dims[0]%uint64(t.BlockSize()) != 0 {
		return fmt.Errorf("gguf: tensor %s: %s with shape %v cannot be written", name, t, dims)
	}
	ti.Size = ti.Elements() / uint64(t.BlockSize()) * uint64(t.BlockBytes())
	if uint64(len(data)) != ti.Size {
		return fmt.Errorf("gguf: tensor %s: %s %v needs %d bytes, got %d", name, t, dims, ti.Size, len(data))
	}
	w.tensors = append(w.tensors, ti)
	w.data = append(w.data, data)
	return nil
}

// WriteFile writes the file to path.
func (w *Writer) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	const align = 32
	cw := &countWriter{w: bufio.NewWriterSize(out, 1<<20)}
	le := func(v any) { _ = binary.Write(cw, binary.LittleEndian, v) }
	str := func(s string) { le(uint64(len(s))); io.WriteString(cw, s) }
	cw.Write([]byte(Magic))
	le(uint32(3))
	le(uint64(len(w.tensors)))
	le(uint64(len(w.kv)))
	for _, kv := range w.kv {
		str(kv.Key)
		le(uint32(kv.Type))
		switch v := kv.Value.(type) {
		case string:
			str(v)
		case bool:
			b := uint8(0)
			if v {
				b = 1
			}
			le(b)
		case []string:
			le(uint32(TypeString))
			le(uint64(len(v)))
			for _, s := range v {
				str(s)
			}
		case []float32:
			le(uint32(TypeFloat32))
			le(uint64(len(v)))
			le(v)
		case []int32:
			le(uint32(TypeInt32))
			le(uint64(len(v)))
			le(v)
		case []uint32:
			le(uint32(TypeUint32))
			le(uint64(len(v)))
			le(v)
		default:
			le(v)
		}
	}
	off := uint64(0)
	for i := range w.tensors {
		t := &w.tensors[i]
		t.Offset = off
		str(t.Name)
		le(uint32(len(t.Dims)))
		le(t.Dims)
		le(uint32(t.Type))
		le(t.Offset)
		off += (t.Size + align - 1) / align * align
	}
	pad := func() {
		for cw.n%align != 0 {
			cw.Write([]byte{0})
		}
	}
	pad()
	for _, d := range w.data {
		cw.Write(d)
		pad()
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil && cw.err == nil {
		cw.err = err
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// Encode encodes float32 values as type t: F32, F16, BF16, Q8_0, Q4_0,
// Q4_K, Q5_K or Q6_K (len(src) a multiple of the block size). Quantizing
// follows ggml's block layouts with plain round-to-nearest scales: files
// that llama.cpp reads, not its tuned quantizer's choices.
func Encode(t Type, src []float32) ([]byte, error) {
	bs := t.BlockSize()
	if !t.Supported() || len(src)%bs != 0 {
		return nil, fmt.Errorf("gguf: cannot encode %d values as %s", len(src), t)
	}
	out := make([]byte, t.RowBytes(len(src)))
	ob := t.BlockBytes()
	for i, o := 0, 0; i < len(src); i, o = i+bs, o+ob {
		x, b := src[i:i+bs], out[o:o+ob]
		switch t {
		case F32:
			binary.LittleEndian.PutUint32(b, math.Float32bits(x[0]))
		case F16:
			binary.LittleEndian.PutUint16(b, FloatToHalf(x[0]))
		case BF16:
			binary.LittleEndian.PutUint16(b, FloatToBF16(x[0]))
		case Q8_0:
			quantQ8_0(b, x)
		case Q4_0:
			quantQ4_0(b, x)
		case Q4_1:
			quantAffine(b, x, 15, false)
		case Q5_0:
			quantQ5_0(b, x)
		case Q5_1:
			quantAffine(b, x, 31, true)
		case Q4_K:
			quantK(b, x, 15, false)
		case Q5_K:
			quantK(b, x, 31, true)
		case Q6_K:
			quantQ6_K(b, x)
		}
	}
	return out, nil
}

func putHalf(b []byte, f float32) float32 {
	h := FloatToHalf(f)
	binary.LittleEndian.PutUint16(b, h)
	return HalfToFloat(h)
}

func clampRound(v float32, lo, hi int) int {
	return max(lo, min(hi, int(math.Round(float64(v)))))
}

func quantQ8_0(b []byte, x []float32) {
	amax := float32(0)
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	d := putHalf(b, amax/127)
	for j, v := range x {
		q := 0
		if d != 0 {
			q = clampRound(v/d, -127, 127)
		}
		b[2+j] = byte(int8(q))
	}
}

func quantQ4_0(b []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, mx = a, v
		}
	}
	d := putHalf(b, mx/-8)
	for j := 0; j < 16; j++ {
		q0, q1 := 8, 8
		if d != 0 {
			q0, q1 = clampRound(x[j]/d+8, 0, 15), clampRound(x[j+16]/d+8, 0, 15)
		}
		b[2+j] = byte(q0) | byte(q1)<<4
	}
}

// quantAffine fills a Q4_1 (qmax 15) or Q5_1 (qmax 31, with qh) block:
// x = d*q + m over [min, max].
func quantAffine(b []byte, x []float32, qmax int, fifth bool) {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	d := putHalf(b, (hi-lo)/float32(qmax))
	m := putHalf(b[2:], lo)
	var q [32]int
	for j, v := range x {
		if d != 0 {
			q[j] = clampRound((v-m)/d, 0, qmax)
		}
	}
	packNibbles(b, q, fifth, 4)
}

func quantQ5_0(b []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, mx = a, v
		}
	}
	d := putHalf(b, mx/-16)
	var q [32]int
	for j, v := range x {
		q[j] = 16
		if d != 0 {
			q[j] = clampRound(v/d+16, 0, 31)
		}
	}
	packNibbles(b, q, true, 2)
}

// packNibbles writes 32 values of 4 (or 5, with the fifth bits in a u32
// at off) bits: value j low nibble, value j+16 high nibble.
func packNibbles(b []byte, q [32]int, fifth bool, off int) {
	qs := off
	if fifth {
		var qh uint32
		for j := 0; j < 16; j++ {
			qh |= uint32(q[j]>>4&1) << uint(j)
			qh |= uint32(q[j+16]>>4&1) << uint(j+16)
		}
		binary.LittleEndian.PutUint32(b[off:], qh)
		qs += 4
	}
	for j := 0; j < 16; j++ {
		b[qs+j] = byte(q[j]&0xf) | byte(q[j+16]&0xf)<<4
	}
}

// quantK fills a Q4_K (qmax 15) or Q5_K (qmax 31, high bits) block: eight
// sub-blocks of 32 with a 6-bit scale and min each, x = d*sc*q - dmin*m.
func quantK(b []byte, x []float32, qmax int, fifth bool) {
	var scale, minv [8]float32
	var maxScale, maxMin float32
	for s := 0; s < 8; s++ {
		lo, hi := float32(0), float32(0)
		for _, v := range x[s*32 : s*32+32] {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale[s], minv[s] = (hi-lo)/float32(qmax), -lo
		maxScale, maxMin = max(maxScale, scale[s]), max(maxMin, minv[s])
	}
	d := putHalf(b, maxScale/63)
	dmin := putHalf(b[2:], maxMin/63)
	var sc, mn [8]int
	for s := 0; s < 8; s++ {
		if d != 0 {
			sc[s] = clampRound(scale[s]/d, 0, 63)
		}
		if dmin != 0 {
			mn[s] = clampRound(minv[s]/dmin, 0, 63)
		}
	}
	scales := b[4:16]
	clear(scales)
	for j := 0; j < 8; j++ {
		if j < 4 {
			scales[j] |= byte(sc[j] & 63)
			scales[j+4] |= byte(mn[j] & 63)
		} else {
			scales[j+4] = byte(sc[j]&0xf) | byte(mn[j]&0xf)<<4
			scales[j-4] |= byte(sc[j]>>4) << 6
			scales[j] |= byte(mn[j]>>4) << 6
		}
	}
	q := make([]int, 256)
	for s := 0; s < 8; s++ {
		step := d * float32(sc[s])
		for l := 0; l < 32; l++ {
			if step != 0 {
				q[s*32+l] = clampRound((x[s*32+l]+dmin*float32(mn[s]))/step, 0, qmax)
			}
		}
	}
	if !fifth {
		qs := b[16:144]
		for j := 0; j < 256; j += 64 {
			for l := 0; l < 32; l++ {
				qs[j/2+l] = byte(q[j+l]) | byte(q[j+32+l])<<4
			}
		}
		return
	}
	qh, qs := b[16:48], b[48:176]
	clear(qh)
	u1, u2 := byte(1), byte(2)
	for j := 0; j < 256; j += 64 {
		for l := 0; l < 32; l++ {
			a, c := q[j+l], q[j+32+l]
			qs[j/2+l] = byte(a&0xf) | byte(c&0xf)<<4
			if a >= 16 {
				qh[l] |= u1
			}
			if c >= 16 {
				qh[l] |= u2
			}
		}
		u1 <<= 2
		u2 <<= 2
	}
}

// quantQ6_K fills a Q6_K block: sixteen groups of 16 with an int8 scale
// each, x = d*sc*(q-32).
func quantQ6_K(b []byte, x []float32) {
	var scale [16]float32
	var amax float32
	for g := 0; g < 16; g++ {
		var m float32
		for _, v := range x[g*16 : g*16+16] {
			m = max(m, float32(math.Abs(float64(v))))
		}
		scale[g] = m / 31
		amax = max(amax, scale[g])
	}
	d := putHalf(b[208:], amax/127)
	ql, qh, sc := b[0:128], b[128:192], b[192:208]
	clear(ql)
	clear(qh)
	var q [256]int
	for g := 0; g < 16; g++ {
		s := 0
		if d != 0 {
			s = clampRound(scale[g]/d, -128, 127)
		}
		sc[g] = byte(int8(s))
		step := d * float32(s)
		for l := 0; l < 16; l++ {
			v := 32
			if step != 0 {
				v = clampRound(x[g*16+l]/step+32, 0, 63)
			}
			q[g*16+l] = v
		}
	}
	for n := 0; n < 2; n++ {
		ql, qh, y := ql[n*64:], qh[n*32:], q[n*128:]
		for l := 0; l < 32; l++ {
			q1, q2, q3, q4 := y[l], y[l+32], y[l+64], y[l+96]
			ql[l] = byte(q1&0xf) | byte(q3&0xf)<<4
			ql[l+32] = byte(q2&0xf) | byte(q4&0xf)<<4
			qh[l] = byte(q1>>4) | byte(q2>>4)<<2 | byte(q3>>4)<<4 | byte(q4>>4)<<6
		}
	}
}

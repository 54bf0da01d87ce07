package gguf

import (
	"github.com/ponder-go/ponder/internal/half"

	"encoding/binary"
	"fmt"
	"math"
)

// Type is a ggml tensor type.
type Type uint32

// The ggml tensor types (ggml.h's enum ggml_type). Dequantize supports F32,
// F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K; the others
// are named in errors.
const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q4_1 Type = 3
	Q5_0 Type = 6
	Q5_1 Type = 7
	Q8_0 Type = 8
	Q8_1 Type = 9
	Q2_K Type = 10
	Q3_K Type = 11
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	Q8_K Type = 15
	I8   Type = 24
	I16  Type = 25
	I32  Type = 26
	I64  Type = 27
	F64  Type = 28
	BF16 Type = 30
)

// typeInfo is a type's block: elements per block and bytes per block.
type typeInfo struct {
	name  string
	block int
	bytes int
	deq   func(dst []float32, src []byte) // one block
}

var types = map[Type]typeInfo{
	F32:  {"F32", 1, 4, func(d []float32, s []byte) { d[0] = math.Float32frombits(binary.LittleEndian.Uint32(s)) }},
	F16:  {"F16", 1, 2, func(d []float32, s []byte) { d[0] = HalfToFloat(binary.LittleEndian.Uint16(s)) }},
	BF16: {"BF16", 1, 2, func(d []float32, s []byte) { d[0] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(s)) << 16) }},
	Q4_0: {"Q4_0", 32, 18, dequantQ4_0},
	Q4_1: {"Q4_1", 32, 20, dequantQ4_1},
	Q5_0: {"Q5_0", 32, 22, dequantQ5_0},
	Q5_1: {"Q5_1", 32, 24, dequantQ5_1},
	Q8_0: {"Q8_0", 32, 34, dequantQ8_0},
	Q8_1: {"Q8_1", 32, 36, nil},
	Q2_K: {"Q2_K", 256, 84, nil},
	Q3_K: {"Q3_K", 256, 110, nil},
	Q4_K: {"Q4_K", 256, 144, dequantQ4_K},
	Q5_K: {"Q5_K", 256, 176, dequantQ5_K},
	Q6_K: {"Q6_K", 256, 210, dequantQ6_K},
	Q8_K: {"Q8_K", 256, 292, nil},
	I8:   {"I8", 1, 1, nil},
	I16:  {"I16", 1, 2, nil},
	I32:  {"I32", 1, 4, nil},
	I64:  {"I64", 1, 8, nil},
	F64:  {"F64", 1, 8, nil},
}

func (t Type) String() string {
	if ti, ok := types[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// Known reports whether t is a ggml type this package can size.
func (t Type) Known() bool { _, ok := types[t]; return ok }

// Supported reports whether Dequantize handles t.
func (t Type) Supported() bool { return types[t].deq != nil }

// BlockSize is the number of elements one block holds (1 for plain types).
func (t Type) BlockSize() int { return types[t].block }

// BlockBytes is the size of one block in bytes.
func (t Type) BlockBytes() int { return types[t].bytes }

// RowBytes is the size of a row of n elements (n a multiple of BlockSize).
func (t Type) RowBytes(n int) int { return n / types[t].block * types[t].bytes }

// Dequantize decodes len(dst) elements (a multiple of the block size) from
// src, which must hold their blocks.
func Dequantize(t Type, dst []float32, src []byte) error {
	ti, ok := types[t]
	if !ok || ti.deq == nil {
		return fmt.Errorf("gguf: tensor type %s is not supported", t)
	}
	if len(dst)%ti.block != 0 || len(src) < len(dst)/ti.block*ti.bytes {
		return fmt.Errorf("gguf: %d %s elements need %d bytes in whole blocks of %d, have %d", len(dst), t, len(dst)/ti.block*ti.bytes, ti.block, len(src))
	}
	for i, o := 0, 0; i < len(dst); i, o = i+ti.block, o+ti.bytes {
		ti.deq(dst[i:i+ti.block], src[o:o+ti.bytes])
	}
	return nil
}

// HalfToFloat converts IEEE half precision to float32.
func HalfToFloat(h uint16) float32 { return half.ToFloat(h) }

// FloatToHalf converts to half precision, rounding to nearest even.
func FloatToHalf(f float32) uint16 { return half.FromFloat(f) }

// FloatToBF16 converts to bfloat16, rounding to nearest even.
func FloatToBF16(f float32) uint16 { return half.BF16FromFloat(f) }

func halfAt(s []byte) float32 { return half.ToFloat(binary.LittleEndian.Uint16(s)) }

// Q8_0: d (f16), 32 int8: x = d*q.
func dequantQ8_0(y []float32, b []byte) {
	d := halfAt(b)
	for j := 0; j < 32; j++ {
		y[j] = d * float32(int8(b[2+j]))
	}
}

// Q4_1: d, m (f16), 16 bytes of nibbles: x[j] = d*lo + m, x[j+16] = d*hi + m.
func dequantQ4_1(y []float32, b []byte) {
	d, m := halfAt(b), halfAt(b[2:])
	for j := 0; j < 16; j++ {
		q := b[4+j]
		y[j] = d*float32(q&0xf) + m
		y[j+16] = d*float32(q>>4) + m
	}
}

// q5 unpacks the 5-bit values of a Q5_0/Q5_1 block: qh holds the fifth
// bits (bit j for value j, bit j+16 for value j+16), qs the nibbles.
func q5(qh uint32, qs []byte, j int) (lo, hi int) {
	lo = int(qs[j]&0xf) | int((qh>>uint(j))<<4&0x10)
	hi = int(qs[j]>>4) | int((qh>>uint(j+12))&0x10)
	return lo, hi
}

// Q5_0: d (f16), qh (u32), 16 bytes of nibbles: x = d*(q-16).
func dequantQ5_0(y []float32, b []byte) {
	d, qh := halfAt(b), binary.LittleEndian.Uint32(b[2:])
	for j := 0; j < 16; j++ {
		lo, hi := q5(qh, b[6:], j)
		y[j] = d * float32(lo-16)
		y[j+16] = d * float32(hi-16)
	}
}

// Q5_1: d, m (f16), qh (u32), 16 bytes of nibbles: x = d*q + m.
func dequantQ5_1(y []float32, b []byte) {
	d, m, qh := halfAt(b), halfAt(b[2:]), binary.LittleEndian.Uint32(b[4:])
	for j := 0; j < 16; j++ {
		lo, hi := q5(qh, b[8:], j)
		y[j] = d*float32(lo) + m
		y[j+16] = d*float32(hi) + m
	}
}

// Q4_0: d (f16), 16 bytes of nibbles: x[j] = d*(lo-8), x[j+16] = d*(hi-8).
func dequantQ4_0(y []float32, b []byte) {
	d := halfAt(b)
	for j := 0; j < 16; j++ {
		q := b[2+j]
		y[j] = d * float32(int(q&0xf)-8)
		y[j+16] = d * float32(int(q>>4)-8)
	}
}

// scaleMinK4 unpacks the j-th 6-bit scale and min of a Q4_K/Q5_K block.
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K: d, dmin (f16), 12 bytes of 6-bit scales and mins for 8 sub-blocks
// of 32, then 128 bytes of nibbles: each 32-byte group holds two sub-blocks
// (low nibbles first). x = d*sc*q - dmin*m.
func dequantQ4_K(y []float32, b []byte) {
	d, dmin := halfAt(b), halfAt(b[2:])
	scales, qs := b[4:16], b[16:144]
	is := 0
	for j := 0; j < 256; j += 64 {
		sc1, m1 := scaleMinK4(is, scales)
		sc2, m2 := scaleMinK4(is+1, scales)
		d1, mn1 := d*float32(sc1), dmin*float32(m1)
		d2, mn2 := d*float32(sc2), dmin*float32(m2)
		q := qs[j/2 : j/2+32]
		for l := 0; l < 32; l++ {
			y[j+l] = d1*float32(q[l]&0xf) - mn1
			y[j+32+l] = d2*float32(q[l]>>4) - mn2
		}
		is += 2
	}
}

// Q5_K: as Q4_K with a fifth bit per element in 32 bytes of high bits.
func dequantQ5_K(y []float32, b []byte) {
	d, dmin := halfAt(b), halfAt(b[2:])
	scales, qh, qs := b[4:16], b[16:48], b[48:176]
	is := 0
	u1, u2 := byte(1), byte(2)
	for j := 0; j < 256; j += 64 {
		sc1, m1 := scaleMinK4(is, scales)
		sc2, m2 := scaleMinK4(is+1, scales)
		d1, mn1 := d*float32(sc1), dmin*float32(m1)
		d2, mn2 := d*float32(sc2), dmin*float32(m2)
		ql := qs[j/2 : j/2+32]
		for l := 0; l < 32; l++ {
			h1, h2 := 0, 0
			if qh[l]&u1 != 0 {
				h1 = 16
			}
			if qh[l]&u2 != 0 {
				h2 = 16
			}
			y[j+l] = d1*float32(int(ql[l]&0xf)+h1) - mn1
			y[j+32+l] = d2*float32(int(ql[l]>>4)+h2) - mn2
		}
		is += 2
		u1 <<= 2
		u2 <<= 2
	}
}

// Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8
// scales (one per 16 elements), d (f16): x = d*sc*(q-32).
func dequantQ6_K(y []float32, b []byte) {
	ql, qh, sc := b[0:128], b[128:192], b[192:208]
	d := halfAt(b[208:])
	for n := 0; n < 2; n++ {
		ql, qh, sc, yy := ql[n*64:], qh[n*32:], sc[n*8:], y[n*128:]
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
			q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
			q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			yy[l] = d * float32(int8(sc[is])) * float32(q1)
			yy[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			yy[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			yy[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
	}
}

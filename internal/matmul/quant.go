package matmul

import (
	"encoding/binary"
	"math"

	"github.com/ponder-go/ponder/internal/half"
)

// Quantized dot products, ggml's way: the activations are quantized per
// block of 32 to Q8_0 (an f16 scale and 32 int8s), and each weight block
// meets its activation block in integer arithmetic, scaled once per block.
// Weights stay in the file's blocks: Q8_0 (f16 d, 32 int8: w = d·q) and
// Q4_0 (f16 d, 16 bytes of nibbles: w[j] = d·(lo-8), w[j+16] = d·(hi-8)).

// Block sizes in bytes.
const (
	Q8_0Block = 34
	Q4_0Block = 18
)

// QuantizeQ8_0 writes x (a multiple of 32 long) as Q8_0 blocks into dst
// (len(x)/32·34 bytes), as ggml's AVX2 quantize_row_q8_0 does: d =
// max|x|/127 stored as f16, q = round-to-even(x·127/max|x|).
func QuantizeQ8_0(dst []byte, x []float32) {
	nb := len(x) / 32
	if nb == 0 {
		return
	}
	_ = dst[nb*Q8_0Block-1]
	quantizeQ8_0(dst, x, nb)
}

var quantizeQ8_0 = quantizeQ8_0Go

func quantizeQ8_0Go(dst []byte, x []float32, nb int) {
	for b := 0; b < nb*32; b += 32 {
		blk := dst[b/32*Q8_0Block : (b/32+1)*Q8_0Block]
		xs := x[b : b+32]
		amax := float32(0)
		for _, v := range xs {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		binary.LittleEndian.PutUint16(blk, half.FromFloat(amax/127))
		id := float32(0)
		if amax != 0 {
			id = 127 / amax
		}
		for i, v := range xs {
			blk[2+i] = byte(int8(math.RoundToEven(float64(v * id))))
		}
	}
}

// DotQ8_0 is the dot product of nb Q8_0 weight blocks with nb Q8_0
// activation blocks.
func DotQ8_0(w, a []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*Q8_0Block-1], a[nb*Q8_0Block-1]
	return dotQ8_0(w, a, nb)
}

// DotQ4_0 is the dot product of nb Q4_0 weight blocks with nb Q8_0
// activation blocks.
func DotQ4_0(w, a []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*Q4_0Block-1], a[nb*Q8_0Block-1]
	return dotQ4_0(w, a, nb)
}

var (
	dotQ8_0 = dotQ8_0Go
	dotQ4_0 = dotQ4_0Go
)

func dotQ8_0Go(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q8_0Block:(b+1)*Q8_0Block], a[b*Q8_0Block:(b+1)*Q8_0Block]
		var s int32
		for i := 2; i < Q8_0Block; i++ {
			s += int32(int8(wb[i])) * int32(int8(ab[i]))
		}
		sum += float32(s) * (half.ToFloat(binary.LittleEndian.Uint16(wb)) * half.ToFloat(binary.LittleEndian.Uint16(ab)))
	}
	return sum
}

func dotQ4_0Go(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q4_0Block:(b+1)*Q4_0Block], a[b*Q8_0Block:(b+1)*Q8_0Block]
		var s int32
		for j := 0; j < 16; j++ {
			q := wb[2+j]
			s += (int32(q&0xf) - 8) * int32(int8(ab[2+j]))
			s += (int32(q>>4) - 8) * int32(int8(ab[18+j]))
		}
		sum += float32(s) * (half.ToFloat(binary.LittleEndian.Uint16(wb)) * half.ToFloat(binary.LittleEndian.Uint16(ab)))
	}
	return sum
}

// Q8_1 activations (f16 d, f16 s = d·Σq, 32 int8) meet weights with a
// minimum (Q4_1, Q5_1): w·a = dw·da·Σq·q' + m·s. These types are rare
// fallbacks in real files, so they run in Go.
const (
	Q8_1Block = 36
	Q4_1Block = 20
	Q5_0Block = 22
	Q5_1Block = 24
)

// QuantizeQ8_1 writes x as Q8_1 blocks (the Q8_0 rounding plus the block
// sum, as ggml's quantize_row_q8_1).
func QuantizeQ8_1(dst []byte, x []float32) {
	var blk [Q8_0Block]byte
	for b := 0; b+32 <= len(x); b += 32 {
		QuantizeQ8_0(blk[:], x[b:b+32])
		out := dst[b/32*Q8_1Block : (b/32+1)*Q8_1Block]
		copy(out[:2], blk[:2])
		sum := 0
		for _, q := range blk[2:] {
			sum += int(int8(q))
		}
		d := float32(0)
		amax := float32(0)
		for _, v := range x[b : b+32] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d = amax / 127
		binary.LittleEndian.PutUint16(out[2:], half.FromFloat(float32(sum)*d))
		copy(out[4:], blk[2:])
	}
}

func h16(b []byte) float32 { return half.ToFloat(binary.LittleEndian.Uint16(b)) }

// q5 returns the 5-bit values j and j+16 of a Q5 block.
func q5(qh uint32, qs []byte, j int) (lo, hi int32) {
	lo = int32(qs[j]&0xf) | int32((qh>>uint(j))<<4&0x10)
	hi = int32(qs[j]>>4) | int32((qh>>uint(j+12))&0x10)
	return lo, hi
}

// DotQ4_1 is the dot product of nb Q4_1 weight blocks with nb Q8_1
// activation blocks.
func DotQ4_1(w, a []byte, nb int) float32 {
	var acc, mins float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q4_1Block:(b+1)*Q4_1Block], a[b*Q8_1Block:(b+1)*Q8_1Block]
		var s int32
		for j := 0; j < 16; j++ {
			q := wb[4+j]
			s += int32(q&0xf)*int32(int8(ab[4+j])) + int32(q>>4)*int32(int8(ab[20+j]))
		}
		acc += h16(wb) * h16(ab) * float32(s)
		mins += h16(wb[2:]) * h16(ab[2:])
	}
	return acc + mins
}

// DotQ5_1 is the dot product of nb Q5_1 weight blocks with nb Q8_1
// activation blocks.
func DotQ5_1(w, a []byte, nb int) float32 {
	var acc, mins float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q5_1Block:(b+1)*Q5_1Block], a[b*Q8_1Block:(b+1)*Q8_1Block]
		qh := binary.LittleEndian.Uint32(wb[4:])
		var s int32
		for j := 0; j < 16; j++ {
			lo, hi := q5(qh, wb[8:], j)
			s += lo*int32(int8(ab[4+j])) + hi*int32(int8(ab[20+j]))
		}
		acc += h16(wb) * h16(ab) * float32(s)
		mins += h16(wb[2:]) * h16(ab[2:])
	}
	return acc + mins
}

// DotQ5_0 is the dot product of nb Q5_0 weight blocks with nb Q8_0
// activation blocks.
func DotQ5_0(w, a []byte, nb int) float32 {
	var acc float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q5_0Block:(b+1)*Q5_0Block], a[b*Q8_0Block:(b+1)*Q8_0Block]
		qh := binary.LittleEndian.Uint32(wb[2:])
		var s int32
		for j := 0; j < 16; j++ {
			lo, hi := q5(qh, wb[6:], j)
			s += (lo-16)*int32(int8(ab[2+j])) + (hi-16)*int32(int8(ab[18+j]))
		}
		acc += h16(wb) * h16(ab) * float32(s)
	}
	return acc
}

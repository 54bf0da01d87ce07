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
	for b := 0; b+32 <= len(x); b += 32 {
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

// DotQ8_0x4 computes the dot products of four Q8_0 weight rows (at w,
// w+stride, w+2·stride, w+3·stride bytes) with one row of nb Q8_0
// activation blocks.
func DotQ8_0x4(out *[4]float32, w []byte, stride int, a []byte, nb int) {
	if nb <= 0 {
		*out = [4]float32{}
		return
	}
	_, _ = w[3*stride+nb*Q8_0Block-1], a[nb*Q8_0Block-1]
	dotQ8_0x4(out, w, stride, a, nb)
}

// DotQ4_0x4 is DotQ8_0x4 for Q4_0 weight rows.
func DotQ4_0x4(out *[4]float32, w []byte, stride int, a []byte, nb int) {
	if nb <= 0 {
		*out = [4]float32{}
		return
	}
	_, _ = w[3*stride+nb*Q4_0Block-1], a[nb*Q8_0Block-1]
	dotQ4_0x4(out, w, stride, a, nb)
}

var (
	dotQ8_0   = dotQ8_0Go
	dotQ4_0   = dotQ4_0Go
	dotQ8_0x4 = dotQ8_0x4Go
	dotQ4_0x4 = dotQ4_0x4Go
)

func dotQ8_0x4Go(out *[4]float32, w []byte, stride int, a []byte, nb int) {
	for r := range out {
		out[r] = dotQ8_0Go(w[r*stride:], a, nb)
	}
}

func dotQ4_0x4Go(out *[4]float32, w []byte, stride int, a []byte, nb int) {
	for r := range out {
		out[r] = dotQ4_0Go(w[r*stride:], a, nb)
	}
}

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

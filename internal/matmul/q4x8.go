package matmul

import (
	"encoding/binary"
	"math"

	"github.com/ponder-go/ponder/internal/half"
)

// Q4_0 weights interleaved eight rows at a time, as llama.cpp repacks them
// on AVX2 (its block_q4_0x8), so that one pass computes eight rows' dot
// products in the eight lanes of a vector: no horizontal sums, one scale
// multiply per eight rows.
//
// A Q4_0x8 block holds block b of eight rows (144 bytes, the same as
// eight Q4_0 blocks): their eight f16 scales, then four chunks of 32
// bytes; chunk c holds bytes 4c..4c+3 of each row's 16 nibble bytes, row
// by row. A chunk's low nibbles are values 4c..4c+3 of each row, its high
// nibbles values 16+4c..16+4c+3, so a lane of 32 bits meets four
// activations broadcast to every lane.
//
// The nibbles are used unsigned (0..15): Σ(q-8)·a = Σq·a - 8·Σa, and the
// activation block carries -8·Σa, the term to add. The integer sum is exact either way, so
// the result equals llama.cpp's repacked gemv and gemm: per row and block,
// acc = fma(float(isum), dw·da, acc), in block order.
const (
	Q4_0x8Block = 8 * Q4_0Block
	// Q8_0SBlock is an activation block for the Q4_0x8 kernels: float32
	// scale, int32 -8·Σq, 32 int8.
	Q8_0SBlock = 40
)

// RepackQ4_0x8 writes eight Q4_0 rows of nb blocks (row r at src[r·stride:])
// into dst (nb·144 bytes) in the Q4_0x8 layout.
func RepackQ4_0x8(dst, src []byte, stride, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*Q4_0x8Block : (b+1)*Q4_0x8Block]
		for r := 0; r < 8; r++ {
			putRow(out, 8, r, src[r*stride+b*Q4_0Block:r*stride+(b+1)*Q4_0Block])
		}
	}
}

// putRow writes row r's block blk (an f16 scale, then its quant bytes)
// into an interleaved block of n rows: the scale at 2r, and each 4-byte
// chunk c of the quants at 2n+4nc+4r. Q4_0xN and Q8_0xN blocks share this
// layout.
func putRow(out []byte, n, r int, blk []byte) {
	copy(out[2*r:2*r+2], blk[:2])
	for c := 0; c < (len(blk)-2)/4; c++ {
		o := 2*n + 4*n*c + 4*r
		copy(out[o:o+4], blk[2+4*c:2+4*c+4])
	}
}

// QuantizeQ8_0S writes x (a multiple of 32 long) as Q8_0S blocks into dst
// (len(x)/32·40 bytes), with the values and scale QuantizeQ8_0 gives.
func QuantizeQ8_0S(dst []byte, x []float32) {
	nb := len(x) / 32
	if nb == 0 {
		return
	}
	_ = dst[nb*Q8_0SBlock-1]
	quantizeQ8_0S(dst, x, nb)
}

func quantizeQ8_0SGo(dst []byte, x []float32, nb int) {
	x = x[:nb*32]
	var blk [Q8_0Block]byte
	for b := 0; b+32 <= len(x); b += 32 {
		quantizeQ8_0Go(blk[:], x[b:b+32], 1)
		out := dst[b/32*Q8_0SBlock : (b/32+1)*Q8_0SBlock]
		binary.LittleEndian.PutUint32(out, math.Float32bits(h16(blk[:])))
		var sum int32
		for _, q := range blk[2:] {
			sum += int32(int8(q))
		}
		binary.LittleEndian.PutUint32(out[4:], uint32(-8*sum))
		copy(out[8:], blk[2:])
	}
}

// DotQ4_0x8 writes into out[0:8] the dot products of eight interleaved
// Q4_0 rows (nb Q4_0x8 blocks) with one row of nb Q8_0S activation blocks.
func DotQ4_0x8(out []float32, w, a []byte, nb int) {
	checkedX8(out, w, a, nb, Q4_0x8Block, Q8_0SBlock, dotQ4_0x8)
}

// DotQ4_0x8x4 is DotQ4_0x8 for four activation rows (at a, a+astride,
// a+2·astride, a+3·astride bytes): row r against token t goes to
// out[t·ostride+r]. Each weight block is unpacked once for the four.
func DotQ4_0x8x4(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX8x4(out, ostride, w, a, astride, nb, Q4_0x8Block, Q8_0SBlock, dotQ4_0x8x4)
}

// checkedX8 checks that out holds eight floats, w nb blocks of wb bytes
// and a nb activation blocks of ab bytes before an interleaved kernel,
// which does not check, reads them.
func checkedX8(out []float32, w, a []byte, nb, wb, ab int, dot func(out []float32, w, a []byte, nb int)) {
	checkedRows(out, 8, w, a, nb, wb, ab, dot)
}

// checkedX8x4 is checkedX8 for the four-token kernels: out holds four
// rows of eight at ostride, a four activation rows at astride.
func checkedX8x4(out []float32, ostride int, w, a []byte, astride, nb, wb, ab int, dot func(out []float32, ostride int, w, a []byte, astride, nb int)) {
	checkedTokens(out, 8, 4, ostride, w, a, astride, nb, wb, ab, dot)
}

// checkedRows checks the slices before a kernel of rows interleaved rows
// and one token reads them.
func checkedRows(out []float32, rows int, w, a []byte, nb, wb, ab int, dot func(out []float32, w, a []byte, nb int)) {
	_ = out[rows-1]
	if nb <= 0 {
		clear(out[:rows])
		return
	}
	_, _ = w[nb*wb-1], a[nb*ab-1]
	dot(out, w, a, nb)
}

// checkedTokens checks the slices before a kernel of rows interleaved
// rows and T tokens reads them: out holds T rows of rows floats at
// ostride, a T activation rows at astride.
func checkedTokens(out []float32, rows, T, ostride int, w, a []byte, astride, nb, wb, ab int, dot func(out []float32, ostride int, w, a []byte, astride, nb int)) {
	_ = out[(T-1)*ostride+rows-1]
	if nb <= 0 {
		for t := 0; t < T; t++ {
			clear(out[t*ostride : t*ostride+rows])
		}
		return
	}
	_, _ = w[nb*wb-1], a[(T-1)*astride+nb*ab-1]
	dot(out, ostride, w, a, astride, nb)
}

var (
	quantizeQ8_0S = quantizeQ8_0SGo
	dotQ4_0x8     = dotQ4_0x8Go
	dotQ4_0x8x4   = dotQ4_0x8x4Go
)

// fma32 is float32's fused multiply-add, as the vector kernels round it.
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}

func dotQ4_0x8Go(out []float32, w, a []byte, nb int) { dotQ4_0xNGo(out, w, a, nb, 8) }

// dotQ4_0xNGo is the Q4_0xN dot product of n interleaved rows in Go.
func dotQ4_0xNGo(out []float32, w, a []byte, nb, n int) {
	var accs [16]float32
	acc := accs[:n]
	wbytes := n * Q4_0Block
	for b := 0; b < nb; b++ {
		wb, ab := w[b*wbytes:(b+1)*wbytes], a[b*Q8_0SBlock:(b+1)*Q8_0SBlock]
		da := math.Float32frombits(binary.LittleEndian.Uint32(ab))
		corr := int32(binary.LittleEndian.Uint32(ab[4:]))
		for r := 0; r < n; r++ {
			var s int32
			for c := 0; c < 4; c++ {
				for k := 0; k < 4; k++ {
					q := wb[2*n+4*n*c+4*r+k]
					s += int32(q&15)*int32(int8(ab[8+4*c+k])) + int32(q>>4)*int32(int8(ab[24+4*c+k]))
				}
			}
			acc[r] = fma32(float32(s+corr), half.ToFloat(binary.LittleEndian.Uint16(wb[2*r:]))*da, acc[r])
		}
	}
	copy(out[:n], acc)
}

func dotQ4_0x8x4Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 4; t++ {
		dotQ4_0x8Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}

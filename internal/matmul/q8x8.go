package matmul

import (
	"encoding/binary"
	"math"

	"github.com/ponder-go/ponder/internal/half"
)

// Q8_0 weights interleaved eight rows at a time, like Q4_0x8 (see
// q4x8.go): one pass computes eight rows in the lanes of a vector, and
// prompts unpack each weight chunk once for four tokens. A Q8_0x8 block
// holds block b of eight rows (272 bytes): their eight f16 scales, then
// eight chunks of 32 bytes, chunk c holding values 4c..4c+3 of each row.
//
// Per row and block the exact integer sum meets dw·da in one fused
// multiply-add, in block order (llama.cpp's repacked kernels' order; its
// own Q8_0 vec_dot on x86 keeps eight partial sums a row instead, so
// results differ from it in the last bits).
const Q8_0x8Block = 8 * Q8_0Block

// RepackQ8_0x8 writes eight Q8_0 rows of nb blocks (row r at
// src[r·stride:]) into dst (nb·272 bytes) in the Q8_0x8 layout.
func RepackQ8_0x8(dst, src []byte, stride, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*Q8_0x8Block : (b+1)*Q8_0x8Block]
		for r := 0; r < 8; r++ {
			putRow(out, 8, r, src[r*stride+b*Q8_0Block:r*stride+(b+1)*Q8_0Block])
		}
	}
}

// DotQ8_0x8 writes into out[0:8] the dot products of eight interleaved
// Q8_0 rows (nb Q8_0x8 blocks) with one row of nb Q8_0S activation blocks.
func DotQ8_0x8(out []float32, w, a []byte, nb int) {
	checkedX8(out, w, a, nb, Q8_0x8Block, Q8_0SBlock, dotQ8_0x8)
}

// DotQ8_0x8x4 is DotQ8_0x8 for four activation rows (at a, a+astride,
// ...): row r against token t goes to out[t·ostride+r].
func DotQ8_0x8x4(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX8x4(out, ostride, w, a, astride, nb, Q8_0x8Block, Q8_0SBlock, dotQ8_0x8x4)
}

var (
	dotQ8_0x8   = dotQ8_0x8Go
	dotQ8_0x8x4 = dotQ8_0x8x4Go
)

func dotQ8_0x8Go(out []float32, w, a []byte, nb int) { dotQ8_0xNGo(out, w, a, nb, 8) }

// dotQ8_0xNGo is the Q8_0xN dot product of n interleaved rows in Go.
func dotQ8_0xNGo(out []float32, w, a []byte, nb, n int) {
	var accs [16]float32
	acc := accs[:n]
	wbytes := n * Q8_0Block
	for b := 0; b < nb; b++ {
		wb, ab := w[b*wbytes:(b+1)*wbytes], a[b*Q8_0SBlock:(b+1)*Q8_0SBlock]
		da := math.Float32frombits(binary.LittleEndian.Uint32(ab))
		for r := 0; r < n; r++ {
			var s int32
			for c := 0; c < 8; c++ {
				for k := 0; k < 4; k++ {
					s += int32(int8(wb[2*n+4*n*c+4*r+k])) * int32(int8(ab[8+4*c+k]))
				}
			}
			acc[r] = fma32(float32(s), half.ToFloat(binary.LittleEndian.Uint16(wb[2*r:]))*da, acc[r])
		}
	}
	copy(out[:n], acc)
}

func dotQ8_0x8x4Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 4; t++ {
		dotQ8_0x8Go(out[t*ostride:], w, a[t*astride:], nb)
	}
}

// RepackQ5_0x8 writes eight Q5_0 rows of nb blocks (row r at
// src[r·stride:]) into dst (nb·272 bytes) as Q8_0x8 blocks: each 5-bit
// value minus 16 fits an int8, so the Q8_0x8 kernels compute Q5_0 rows
// with the same exact integer sums (at Q8_0's 34 bytes a block instead of
// 22).
func RepackQ5_0x8(dst, src []byte, stride, nb int) { repackQ5_0(dst, src, stride, nb, 8) }

// repackQ5_0 writes n Q5_0 rows as Q8_0xN blocks.
func repackQ5_0(dst, src []byte, stride, nb, n int) {
	var blk [Q8_0Block]byte
	for b := 0; b < nb; b++ {
		out := dst[b*n*Q8_0Block : (b+1)*n*Q8_0Block]
		for r := 0; r < n; r++ {
			q := src[r*stride+b*Q5_0Block : r*stride+(b+1)*Q5_0Block]
			qh := binary.LittleEndian.Uint32(q[2:])
			copy(blk[:2], q[:2])
			for j := 0; j < 16; j++ {
				lo, hi := q5(qh, q[6:], j)
				blk[2+j], blk[18+j] = byte(int8(lo-16)), byte(int8(hi-16))
			}
			putRow(out, n, r, blk[:])
		}
	}
}

package matmul

import (
	"encoding/binary"

	"github.com/ponder-go/ponder/internal/half"
)

// Q4_K weights interleaved eight rows at a time, as llama.cpp repacks
// them on AVX2 (its block_q4_Kx8), so that one pass computes eight rows'
// dot products in the lanes of a vector for decode.
//
// A Q4_Kx8 block holds super-block b of eight rows (1,248 bytes):
//   - 0: the eight rows' d (f16), then 16: their dmin (f16);
//   - 32: for each sub-block j, 16 bytes: row r's 6-bit scale twice at
//     2r and 2r+1 (so VPMOVZXBW gives each row's lane the int16 pair a
//     VPMADDWD scales by);
//   - 160: for each pair p of sub-blocks, 16 bytes: row r's mins of
//     sub-blocks 2p and 2p+1 at 2r and 2r+1;
//   - 224: for each pair p, eight chunks of 32 bytes: chunk c holds bytes
//     4c..4c+3 of each row's 32 nibble bytes of the pair, row by row (low
//     nibbles: sub-block 2p, high: 2p+1).
//
// Per row and super-block the integer sums are exact and meet the float
// scales once, as llama.cpp's Q4_K gemv rounds them (DotQ4_K without
// pairwise): acc += float(Σ sc·isum)·(d·da), mins += float(Σ m·bsum)·
// (dmin·da), and the result is acc - mins.
const Q4_Kx8Block = 1248

// RepackQ4_Kx8 writes eight Q4_K rows of nb super-blocks (row r at
// src[r·stride:]) into dst (nb·1,248 bytes) in the Q4_Kx8 layout.
func RepackQ4_Kx8(dst, src []byte, stride, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*Q4_Kx8Block : (b+1)*Q4_Kx8Block]
		for r := 0; r < 8; r++ {
			blk := src[r*stride+b*Q4_KBlock : r*stride+(b+1)*Q4_KBlock]
			copy(out[2*r:2*r+2], blk[0:2])
			copy(out[16+2*r:16+2*r+2], blk[2:4])
			for j := 0; j < 8; j++ {
				sc, m := scaleMinK4(j, blk[4:16])
				out[32+16*j+2*r], out[32+16*j+2*r+1] = byte(sc), byte(sc)
				out[160+16*(j/2)+2*r+j%2] = byte(m)
			}
			qs := blk[16:144]
			for p := 0; p < 4; p++ {
				for c := 0; c < 8; c++ {
					o := 224 + 256*p + 32*c + 4*r
					copy(out[o:o+4], qs[32*p+4*c:32*p+4*c+4])
				}
			}
		}
	}
}

// DotQ4_Kx8 writes into out[0:8] the dot products of eight interleaved
// Q4_K rows (nb Q4_Kx8 blocks) with one row of nb Q8_K activation blocks,
// rounded as DotQ4_K without pairwise.
func DotQ4_Kx8(out []float32, w, a []byte, nb int) {
	checkedX8(out, w, a, nb, Q4_Kx8Block, Q8_KBlock, dotQ4_Kx8)
}

// DotQ4_Kx8x4 is DotQ4_Kx8 for four activation rows (at a, a+astride,
// ...), rounded as DotQ4_K with pairwise (llama.cpp's gemm): row r
// against token t goes to out[t·ostride+r]. Each chunk of nibbles is
// unpacked once for the four.
func DotQ4_Kx8x4(out []float32, ostride int, w, a []byte, astride, nb int) {
	checkedX8x4(out, ostride, w, a, astride, nb, Q4_Kx8Block, Q8_KBlock, dotQ4_Kx8x4)
}

var (
	dotQ4_Kx8   = dotQ4_Kx8Go
	dotQ4_Kx8x4 = dotQ4_Kx8x4Go
)

func dotQ4_Kx8x4Go(out []float32, ostride int, w, a []byte, astride, nb int) {
	for t := 0; t < 4; t++ {
		q4Kx8Go(out[t*ostride:], w, a[t*astride:], nb, true)
	}
}

func dotQ4_Kx8Go(out []float32, w, a []byte, nb int) { q4Kx8Go(out, w, a, nb, false) }

// q4Kx8Go is the Q4_Kx8 dot product in Go, rounded once a super-block, or
// once a pair of sub-blocks with pairwise.
func q4Kx8Go(out []float32, w, a []byte, nb int, pairwise bool) {
	var acc, mins [8]float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q4_Kx8Block:(b+1)*Q4_Kx8Block], a[b*Q8_KBlock:(b+1)*Q8_KBlock]
		da := f32At(ab)
		q8 := ab[4:260]
		for r := 0; r < 8; r++ {
			var sumi, summ [4]int32
			for j := 0; j < 8; j++ {
				p := j / 2
				summ[p] += int32(wb[160+16*p+2*r+j%2]) * (bsum(ab, 2*j) + bsum(ab, 2*j+1))
				var s int32
				for c := 0; c < 8; c++ {
					for k := 0; k < 4; k++ {
						x := wb[224+256*p+32*c+4*r+k]
						v := int32(x & 0xf)
						if j%2 == 1 {
							v = int32(x >> 4)
						}
						s += v * int32(int8(q8[j*32+4*c+k]))
					}
				}
				sumi[p] += int32(wb[32+16*j+2*r]) * s
			}
			d := half.ToFloat(binary.LittleEndian.Uint16(wb[2*r:])) * da
			dmin := half.ToFloat(binary.LittleEndian.Uint16(wb[16+2*r:])) * da
			if pairwise {
				for p := range 4 {
					mins[r] = fma32(float32(summ[p]), dmin, mins[r])
					acc[r] = fma32(float32(sumi[p]), d, acc[r])
				}
				continue
			}
			acc[r] = fma32(float32(sumi[0]+sumi[1]+sumi[2]+sumi[3]), d, acc[r])
			mins[r] = fma32(float32(summ[0]+summ[1]+summ[2]+summ[3]), dmin, mins[r])
		}
	}
	for r := range out[:8] {
		out[r] = acc[r] - mins[r]
	}
}

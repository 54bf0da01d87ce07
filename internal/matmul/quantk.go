package matmul

import (
	"encoding/binary"
	"math"
)

// K-quant dot products, ggml's way: activations are quantized per block of
// 256 to Q8_K (a float32 scale, 256 int8s and the sums of each 16 of
// them), and each weight super-block meets its activation block in integer
// arithmetic, scaled once per sub-block.
//
// Q4_K weights: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8
// sub-blocks of 32, 128 bytes of nibbles (each 32 bytes hold two
// sub-blocks, low nibbles first): w = d·sc·q - dmin·m.
// Q5_K weights: as Q4_K, with the fifth bit of each quant in 32 bytes
// after the scales (bit 2j of byte l for element l of sub-block 2j, bit
// 2j+1 for sub-block 2j+1), then the nibbles.
// Q6_K weights: 128 bytes of low nibbles, 64 bytes of high bit pairs, 16
// int8 scales (one per 16), f16 d: w = d·sc·(q-32).

// Block sizes in bytes.
const (
	Q8_KBlock = 4 + 256 + 32
	Q4_KBlock = 144
	Q5_KBlock = 176
	Q6_KBlock = 210
)

// QuantizeQ8_K writes x (a multiple of 256 long) as Q8_K blocks into dst
// (len(x)/256·292 bytes), as ggml's quantize_row_q8_K: the value of
// largest magnitude maps to -127, q = min(127, round-to-even(x·iscale)).
func QuantizeQ8_K(dst []byte, x []float32) {
	for b := 0; b+256 <= len(x); b += 256 {
		blk := dst[b/256*Q8_KBlock : (b/256+1)*Q8_KBlock]
		xs := x[b : b+256]
		var amax, mx float32
		for _, v := range xs {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax, mx = a, v
			}
		}
		if amax == 0 {
			clear(blk)
			continue
		}
		iscale := -127 / mx
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
		qs := blk[4:260]
		for i, v := range xs {
			qs[i] = byte(int8(min(127, int(math.RoundToEven(float64(iscale*v))))))
		}
		for g := 0; g < 16; g++ {
			var s int16
			for _, q := range qs[g*16 : g*16+16] {
				s += int16(int8(q))
			}
			binary.LittleEndian.PutUint16(blk[260+2*g:], uint16(s))
		}
	}
}

// DotQ4_K is the dot product of nb Q4_K weight blocks with nb Q8_K
// activation blocks. The integer sums are exact; with pairwise they meet
// the float scales every 64 elements instead of every 256, the rounding
// of llama.cpp's prompt (gemm) kernel rather than its decode (gemv) one
// (the pure-Go fallback rounds once a block either way).
func DotQ4_K(w, a []byte, nb int, pairwise bool) float32 {
	return checkedK(w, a, nb, Q4_KBlock, pairwise, dotQ4_K)
}

// DotQ5_K is DotQ4_K for Q5_K weight blocks, with the same two roundings.
func DotQ5_K(w, a []byte, nb int, pairwise bool) float32 {
	return checkedK(w, a, nb, Q5_KBlock, pairwise, dotQ5_K)
}

// DotQ5_Kx4 is DotQ4_Kx4 for Q5_K weight blocks.
func DotQ5_Kx4(out *[4]float32, w, a []byte, astride, nb int) {
	checkedKx4(out, w, a, astride, nb, Q5_KBlock, dotQ5_Kx4)
}

// checkedK checks that w holds nb blocks of size bytes and a nb Q8_K
// blocks before a kernel that does not check reads them.
func checkedK(w, a []byte, nb, size int, pairwise bool, dot func(w, a []byte, nb int, pairwise bool) float32) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*size-1], a[nb*Q8_KBlock-1]
	return dot(w, a, nb, pairwise)
}

// checkedKx4 is checkedK for the four-row kernels.
func checkedKx4(out *[4]float32, w, a []byte, astride, nb, size int, dot func(out *[4]float32, w, a []byte, astride, nb int)) {
	if nb <= 0 {
		*out = [4]float32{}
		return
	}
	_, _ = w[nb*size-1], a[3*astride+nb*Q8_KBlock-1]
	dot(out, w, a, astride, nb)
}

// kx4Go is a four-row kernel in Go: the one-row kernel dot, row by row,
// in its pairwise rounding.
func kx4Go(out *[4]float32, w, a []byte, astride, nb int, dot func(w, a []byte, nb int, pairwise bool) float32) {
	for t := range out {
		out[t] = dot(w, a[t*astride:], nb, true)
	}
}

func dotQ4_Kx4Go(out *[4]float32, w, a []byte, astride, nb int) {
	kx4Go(out, w, a, astride, nb, dotQ4_KGo)
}

func dotQ5_Kx4Go(out *[4]float32, w, a []byte, astride, nb int) {
	kx4Go(out, w, a, astride, nb, dotQ5_KGo)
}

func dotQ6_Kx4Go(out *[4]float32, w, a []byte, astride, nb int) {
	kx4Go(out, w, a, astride, nb, dotQ6_KGo)
}

func dotQ4_KGo(w, a []byte, nb int, pairwise bool) float32 {
	return dotScaleMinKGo(w, a, nb, Q4_KBlock, pairwise)
}

func dotQ5_KGo(w, a []byte, nb int, pairwise bool) float32 {
	return dotScaleMinKGo(w, a, nb, Q5_KBlock, pairwise)
}

// dotScaleMinKGo is the dot product of nb Q4_K or Q5_K blocks (size
// bytes each) with nb Q8_K blocks, rounded as the AVX2 kernels round it:
// the scaled sums and the min sums each fused into their own float sum
// once a block, or once a pair of sub-blocks with pairwise.
func dotScaleMinKGo(w, a []byte, nb, size int, pairwise bool) float32 {
	fifth := size == Q5_KBlock
	var acc, mins float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*size:(b+1)*size], a[b*Q8_KBlock:(b+1)*Q8_KBlock]
		da := f32At(ab)
		scales, qs, q8 := wb[4:16], wb[size-128:size], ab[4:260]
		var sumi, summ [4]int32 // per pair of sub-blocks
		for j := 0; j < 8; j++ {
			sc, m := scaleMinK4(j, scales)
			summ[j/2] += m * (bsum(ab, 2*j) + bsum(ab, 2*j+1))
			q := qs[j/2*32 : j/2*32+32]
			shift := uint(j%2) * 4
			var s int32
			for l, x := range q {
				v := int32(x >> shift & 0xf)
				if fifth { // Q5_K: the fifth bit, bit j of byte l after the scales
					v |= int32(wb[16+l]>>uint(j)&1) << 4
				}
				s += v * int32(int8(q8[j*32+l]))
			}
			sumi[j/2] += sc * s
		}
		d, dmin := h16(wb)*da, h16(wb[2:])*da
		if pairwise {
			for p := range 4 {
				mins = fma32(float32(summ[p]), dmin, mins)
			}
			for p := range 4 {
				acc = fma32(float32(sumi[p]), d, acc)
			}
			continue
		}
		mins = fma32(float32(summ[0]+summ[1]+summ[2]+summ[3]), dmin, mins)
		acc = fma32(float32(sumi[0]+sumi[1]+sumi[2]+sumi[3]), d, acc)
	}
	return acc - mins
}

// DotQ6_K is the dot product of nb Q6_K weight blocks with nb Q8_K
// activation blocks. The integer sums are exact; they meet the float
// scale in eight lanes once a block (llama.cpp's vec_dot, one token) or,
// with pairwise, once every 64 elements (its Q6_K gemm, a prompt). The
// pure-Go fallback rounds once a block either way.
func DotQ6_K(w, a []byte, nb int, pairwise bool) float32 {
	return checkedK(w, a, nb, Q6_KBlock, pairwise, dotQ6_K)
}

// DotQ4_Kx4 computes the dot products of one row of nb Q4_K weight blocks
// with four rows of nb Q8_K activation blocks (at a, a+astride,
// a+2·astride, a+3·astride bytes), with DotQ4_K's pairwise rounding: the
// weight blocks are unpacked once for the four (prompt processing).
func DotQ4_Kx4(out *[4]float32, w, a []byte, astride, nb int) {
	checkedKx4(out, w, a, astride, nb, Q4_KBlock, dotQ4_Kx4)
}

// DotQ6_Kx4 is DotQ4_Kx4 for Q6_K weights: each group of quants is
// rebuilt once for the four rows, rounded as DotQ6_K's pairwise mode.
func DotQ6_Kx4(out *[4]float32, w, a []byte, astride, nb int) {
	checkedKx4(out, w, a, astride, nb, Q6_KBlock, dotQ6_Kx4)
}

var (
	dotQ5_K   = dotQ5_KGo
	dotQ5_Kx4 = dotQ5_Kx4Go
	dotQ6_Kx4 = dotQ6_Kx4Go
	dotQ4_Kx4 = dotQ4_Kx4Go
	dotQ4_K   = dotQ4_KGo
	dotQ6_K   = dotQ6_KGo
)

func f32At(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// bsum is the sum of the Q8_K block's 16-element group g.
func bsum(a []byte, g int) int32 { return int32(int16(binary.LittleEndian.Uint16(a[260+2*g:]))) }

// scaleMinK4 unpacks sub-block j's 6-bit scale and min of a Q4_K block.
func scaleMinK4(j int, q []byte) (sc, m int32) {
	if j < 4 {
		return int32(q[j] & 63), int32(q[j+4] & 63)
	}
	return int32(q[j+4]&0xf | (q[j-4]>>6)<<4), int32(q[j+4]>>4 | (q[j]>>6)<<4)
}

func dotQ6_KGo(w, a []byte, nb int, _ bool) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb, ab := w[b*Q6_KBlock:(b+1)*Q6_KBlock], a[b*Q8_KBlock:(b+1)*Q8_KBlock]
		ql, qh, sc, q8 := wb[0:128], wb[128:192], wb[192:208], ab[4:260]
		var sumi int32
		for n := 0; n < 2; n++ {
			ql, qh, sc, q8 := ql[n*64:], qh[n*32:], sc[n*8:], q8[n*128:]
			var s [8]int32 // per 16 elements
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				s[is] += q1 * int32(int8(q8[l]))
				s[is+2] += q2 * int32(int8(q8[l+32]))
				s[is+4] += q3 * int32(int8(q8[l+64]))
				s[is+6] += q4 * int32(int8(q8[l+96]))
			}
			for i, v := range s {
				sumi += int32(int8(sc[i])) * v
			}
		}
		sum += h16(wb[208:]) * f32At(ab) * float32(sumi)
	}
	return sum
}

package matmul

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/internal/half"
)

// randomKBlocks makes nb random Q4_K or Q6_K blocks: every quant, scale
// and min byte random (so the extremes occur), with small f16 scales.
func randomKBlocks(r *rand.Rand, size, nb int) []byte {
	b := make([]byte, size*nb)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	for k := 0; k < nb; k++ {
		blk := b[k*size : (k+1)*size]
		if size == Q4_KBlock || size == Q5_KBlock {
			binary.LittleEndian.PutUint16(blk, half.FromFloat(float32(r.NormFloat64()*0.01)))
			binary.LittleEndian.PutUint16(blk[2:], half.FromFloat(float32(r.NormFloat64()*0.01)))
		} else {
			binary.LittleEndian.PutUint16(blk[208:], half.FromFloat(float32(r.NormFloat64()*0.01)))
		}
	}
	return b
}

// referenceK dequantizes both sides, as ggml's dequantize_row_q4_K and
// _q6_K write them, and sums in float64.
func referenceK(w, a []byte, nb int, q6 bool) float64 {
	var s float64
	for k := 0; k < nb; k++ {
		ab := a[k*Q8_KBlock:]
		da := float64(f32At(ab))
		var wv [256]float64
		if q6 {
			wb := w[k*Q6_KBlock:]
			ql, qh, sc := wb[0:128], wb[128:192], wb[192:208]
			d := float64(h16(wb[208:]))
			for n := 0; n < 2; n++ {
				for l := 0; l < 32; l++ {
					is := l / 16
					q1 := int(ql[n*64+l]&0xf|(qh[n*32+l]&3)<<4) - 32
					q2 := int(ql[n*64+l+32]&0xf|(qh[n*32+l]>>2&3)<<4) - 32
					q3 := int(ql[n*64+l]>>4|(qh[n*32+l]>>4&3)<<4) - 32
					q4 := int(ql[n*64+l+32]>>4|(qh[n*32+l]>>6&3)<<4) - 32
					wv[n*128+l] = d * float64(int8(sc[n*8+is])) * float64(q1)
					wv[n*128+l+32] = d * float64(int8(sc[n*8+is+2])) * float64(q2)
					wv[n*128+l+64] = d * float64(int8(sc[n*8+is+4])) * float64(q3)
					wv[n*128+l+96] = d * float64(int8(sc[n*8+is+6])) * float64(q4)
				}
			}
		} else {
			wb := w[k*Q4_KBlock:]
			d, dmin := float64(h16(wb)), float64(h16(wb[2:]))
			for j := 0; j < 8; j++ {
				sc, m := scaleMinK4(j, wb[4:16])
				for l := 0; l < 32; l++ {
					q := wb[16+j/2*32+l] >> (uint(j%2) * 4) & 0xf
					wv[j*32+l] = d*float64(sc)*float64(q) - dmin*float64(m)
				}
			}
		}
		for j := 0; j < 256; j++ {
			s += wv[j] * da * float64(int8(ab[4+j]))
		}
	}
	return s
}

// referenceQ5K is referenceK for Q5_K blocks.
func referenceQ5K(w, a []byte, nb int) float64 {
	var s float64
	for k := 0; k < nb; k++ {
		ab, wb := a[k*Q8_KBlock:], w[k*Q5_KBlock:]
		da := float64(f32At(ab))
		d, dmin := float64(h16(wb)), float64(h16(wb[2:]))
		for j := 0; j < 8; j++ {
			sc, m := scaleMinK4(j, wb[4:16])
			for l := 0; l < 32; l++ {
				q := int(wb[48+j/2*32+l]>>(uint(j%2)*4)&0xf) | int(wb[16+l]>>uint(j)&1)<<4
				s += (d*float64(sc)*float64(q) - dmin*float64(m)) * da * float64(int8(ab[4+j*32+l]))
			}
		}
	}
	return s
}

func TestQ5_KDots(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, nb := range []int{0, 1, 3, 8} {
		astride := max(nb, 1)*Q8_KBlock + 5
		a := make([]byte, 4*astride)
		for k := 0; k < 4; k++ {
			randomQ8K(r, a[k*astride:], nb)
		}
		w := randomKBlocks(r, Q5_KBlock, max(nb, 1))
		if nb == 0 {
			assert.Zero(t, DotQ5_K(w, a, 0, false))
			continue
		}
		want := referenceQ5K(w, a, nb)
		tol := 1e-5*math.Abs(want) + 1e-5
		assert.InDelta(t, want, float64(DotQ5_K(w, a, nb, false)), tol, "nb=%d (%s)", nb, Kernel)
		assert.InDelta(t, want, float64(DotQ5_K(w, a, nb, true)), tol, "nb=%d pairwise (%s)", nb, Kernel)
		assert.InDelta(t, want, float64(dotQ5_KGo(w, a, nb, false)), tol, "nb=%d (Go)", nb)
		var out [4]float32
		DotQ5_Kx4(&out, w, a, astride, nb)
		for k := 0; k < 4; k++ {
			assert.Equal(t, DotQ5_K(w, a[k*astride:], nb, true), out[k], "x4 nb=%d row %d (%s)", nb, k, Kernel)
		}
	}
}

func TestKQuantDots(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, nb := range []int{0, 1, 2, 3, 8, 19} {
		a := make([]byte, nb*Q8_KBlock)
		randomQ8K(r, a, nb)
		for _, q6 := range []bool{false, true} {
			size := Q4_KBlock
			dots := map[string]func(w, a []byte, nb int) float32{
				"kernel":          func(w, a []byte, nb int) float32 { return DotQ4_K(w, a, nb, false) },
				"kernel pairwise": func(w, a []byte, nb int) float32 { return DotQ4_K(w, a, nb, true) },
				"Go":              func(w, a []byte, nb int) float32 { return dotQ4_KGo(w, a, nb, false) },
			}
			if q6 {
				size, dots = Q6_KBlock, map[string]func(w, a []byte, nb int) float32{
					"kernel":          func(w, a []byte, nb int) float32 { return DotQ6_K(w, a, nb, false) },
					"kernel pairwise": func(w, a []byte, nb int) float32 { return DotQ6_K(w, a, nb, true) },
					"Go":              func(w, a []byte, nb int) float32 { return dotQ6_KGo(w, a, nb, false) },
				}
			}
			w := randomKBlocks(r, size, max(nb, 1))
			for name, dot := range dots {
				if nb == 0 {
					assert.Zero(t, dot(w, a, 0), name)
					continue
				}
				want := referenceK(w, a, nb, q6)
				tol := 1e-5*math.Abs(want) + 1e-5
				assert.InDelta(t, want, float64(dot(w, a, nb)), tol, "q6=%v nb=%d (%s, %s)", q6, nb, name, Kernel)
			}
		}
	}
}

func TestDotKx4(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, nb := range []int{1, 2, 8} {
		astride := nb*Q8_KBlock + 7 // rows need not be adjacent
		a := make([]byte, 4*astride)
		for k := 0; k < 4; k++ {
			randomQ8K(r, a[k*astride:], nb)
		}
		w := randomKBlocks(r, Q4_KBlock, nb)
		var out [4]float32
		DotQ4_Kx4(&out, w, a, astride, nb)
		for k := 0; k < 4; k++ {
			// Bit for bit the single-row kernel's pairwise rounding.
			assert.Equal(t, DotQ4_K(w, a[k*astride:], nb, true), out[k], "nb=%d row %d (%s)", nb, k, Kernel)
			want := referenceK(w, a[k*astride:], nb, false)
			assert.InDelta(t, want, float64(out[k]), 1e-5*math.Abs(want)+1e-5, "nb=%d row %d", nb, k)
		}
		w6 := randomKBlocks(r, Q6_KBlock, nb)
		DotQ6_Kx4(&out, w6, a, astride, nb)
		for k := 0; k < 4; k++ {
			assert.Equal(t, DotQ6_K(w6, a[k*astride:], nb, true), out[k], "Q6_K nb=%d row %d (%s)", nb, k, Kernel)
			want := referenceK(w6, a[k*astride:], nb, true)
			assert.InDelta(t, want, float64(out[k]), 1e-5*math.Abs(want)+1e-5, "Q6_K nb=%d row %d", nb, k)
		}
	}
}

func TestQuantizeQ8_K(t *testing.T) {
	x := make([]float32, 512)
	for i := range x {
		x[i] = float32(i%256) - 100
	}
	a := make([]byte, 2*Q8_KBlock)
	QuantizeQ8_K(a, x)
	// 155 is the largest magnitude: it maps to -127, so d = -155/127.
	require.InDelta(t, -155.0/127, f32At(a), 1e-6)
	assert.Equal(t, int8(-127), int8(a[4+255]))
	assert.Equal(t, int8(min(127, int(math.RoundToEven(-100*127/-155.0)))), int8(a[4]))
	var s int16
	for _, q := range a[4 : 4+16] {
		s += int16(int8(q))
	}
	assert.Equal(t, s, int16(binary.LittleEndian.Uint16(a[260:])), "group sums")
	zero := make([]byte, Q8_KBlock)
	zero[0] = 9
	QuantizeQ8_K(zero, make([]float32, 256))
	assert.Equal(t, make([]byte, Q8_KBlock), zero)
}

// randomQ8K writes nb Q8_K blocks of normal random activations into a.
func randomQ8K(r *rand.Rand, a []byte, nb int) {
	QuantizeQ8_K(a, randomFloats(r, nb*256))
}

// randomFloats returns n standard normal values.
func randomFloats(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// benchDotK times dot over one 2048-wide row of size-byte blocks.
func benchDotK(b *testing.B, size int, dot func(w, a []byte, nb int, pairwise bool) float32) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 8
	w, a := randomKBlocks(r, size, nb), make([]byte, nb*Q8_KBlock)
	randomQ8K(r, a, nb)
	b.SetBytes(int64(nb * size))
	for b.Loop() {
		dot(w, a, nb, false)
	}
}

func BenchmarkDotQ4_K(b *testing.B) { benchDotK(b, Q4_KBlock, DotQ4_K) }

func BenchmarkDotQ6_K(b *testing.B) { benchDotK(b, Q6_KBlock, DotQ6_K) }

func BenchmarkDotQ6_Kx4(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 8
	w, a := randomKBlocks(r, Q6_KBlock, nb), make([]byte, 4*nb*Q8_KBlock)
	randomQ8K(r, a, 4*nb)
	var out [4]float32
	b.SetBytes(int64(nb * Q6_KBlock))
	for b.Loop() {
		DotQ6_Kx4(&out, w, a, nb*Q8_KBlock, nb)
	}
}

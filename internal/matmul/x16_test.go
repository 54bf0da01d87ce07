package matmul

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The sixteen-row layout gives every row what the eight-row one gives, bit
// for bit (the running kernels and the Go ones), for Q8_0, Q4_0 and Q5_0
// (as Q8_0), with -128 weights and ±127 activations among the values.
func TestX16EqualsX8(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, nb := range []int{1, 3, 28, 152} {
		x := randomFloats(r, 4*nb*32)
		for i := 0; i < len(x); i += 5 {
			x[i] = 50 // the block's largest: quantized to 127
		}
		aS := make([]byte, 4*nb*Q8_0SBlock)
		QuantizeQ8_0S(aS, x)
		astride := nb * Q8_0SBlock
		for _, typ := range []struct {
			name          string
			block, block8 int
			x8, x16       func(dst, src []byte, stride, nb int)
			one8, one16   func(out []float32, w, a []byte, nb int)
			four8, four16 func(out []float32, ostride int, w, a []byte, astride, nb int)
			go16          func(out []float32, w, a []byte, nb int)
		}{
			{"Q8_0", Q8_0Block, Q8_0x8Block, RepackQ8_0x8, RepackQ8_0x16, DotQ8_0x8, DotQ8_0x16, DotQ8_0x8x4, DotQ8_0x16x4, dotQ8_0x16Go},
			{"Q4_0", Q4_0Block, Q4_0x8Block, RepackQ4_0x8, RepackQ4_0x16, DotQ4_0x8, DotQ4_0x16, DotQ4_0x8x4, DotQ4_0x16x4, dotQ4_0x16Go},
			{"Q5_0", Q5_0Block, Q8_0x8Block, RepackQ5_0x8, RepackQ5_0x16, DotQ8_0x8, DotQ8_0x16, DotQ8_0x8x4, DotQ8_0x16x4, dotQ8_0x16Go},
		} {
			stride := (nb + 1) * typ.block
			rows := randomBlocks(r, typ.block, 16*(nb+1))
			if typ.name == "Q8_0" {
				for i := 0; i < 16*(nb+1); i += 3 {
					rows[i*Q8_0Block+2+i%32] = 0x80
				}
			}
			p8 := make([]byte, 2*nb*typ.block8)
			typ.x8(p8[:nb*typ.block8], rows, stride, nb)
			typ.x8(p8[nb*typ.block8:], rows[8*stride:], stride, nb)
			p16 := make([]byte, 2*nb*typ.block8)
			typ.x16(p16, rows, stride, nb)
			const ostride = 21
			want4, got4 := make([]float32, 3*ostride+16), make([]float32, 3*ostride+16)
			typ.four8(want4, ostride, p8[:nb*typ.block8], aS, astride, nb)
			typ.four8(want4[8:], ostride, p8[nb*typ.block8:], aS, astride, nb)
			typ.four16(got4, ostride, p16, aS, astride, nb)
			require.Equal(t, want4, got4, "%s nb=%d: four tokens", typ.name, nb)
			want, got, goGot := make([]float32, 16), make([]float32, 16), make([]float32, 16)
			for tok := 0; tok < 4; tok++ {
				as := aS[tok*astride:]
				typ.one8(want, p8[:nb*typ.block8], as, nb)
				typ.one8(want[8:], p8[nb*typ.block8:], as, nb)
				typ.one16(got, p16, as, nb)
				typ.go16(goGot, p16, as, nb)
				require.Equal(t, want, got, "%s nb=%d token %d", typ.name, nb, tok)
				require.Equal(t, want, goGot, "%s nb=%d token %d: Go", typ.name, nb, tok)
				require.Equal(t, want, want4[tok*ostride:tok*ostride+16], "%s nb=%d token %d: one vs four", typ.name, nb, tok)
			}
		}
	}
}

func BenchmarkDotQ8_0x16(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28
	rows := randomBlocks(r, Q8_0Block, 16*nb)
	aS := make([]byte, 8*nb*Q8_0SBlock)
	QuantizeQ8_0S(aS, randomFloats(r, 8*nb*32))
	packed := make([]byte, nb*Q8_0x16Block)
	RepackQ8_0x16(packed, rows, nb*Q8_0Block, nb)
	out := make([]float32, 128)
	b.Run("one", func(b *testing.B) {
		b.SetBytes(nb * Q8_0x16Block)
		for b.Loop() {
			DotQ8_0x16(out, packed, aS, nb)
		}
	})
	b.Run("four", func(b *testing.B) {
		b.SetBytes(nb * Q8_0x16Block)
		for b.Loop() {
			DotQ8_0x16x4(out, 16, packed, aS, nb*Q8_0SBlock, nb)
		}
	})
	b.Run("eight", func(b *testing.B) {
		b.SetBytes(nb * Q8_0x16Block)
		for b.Loop() {
			DotQ8_0x16x8(out, 16, packed, aS, nb*Q8_0SBlock, nb)
		}
	})
}

// The eight-token kernels give each token what the four-token ones give,
// bit for bit.
func TestX16EightTokensEqualsFour(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, nb := range []int{1, 5, 28} {
		aS := make([]byte, 8*nb*Q8_0SBlock)
		QuantizeQ8_0S(aS, randomFloats(r, 8*nb*32))
		astride := nb * Q8_0SBlock
		for _, typ := range []struct {
			name        string
			block       int
			pack        func(dst, src []byte, stride, nb int)
			four, eight func(out []float32, ostride int, w, a []byte, astride, nb int)
		}{
			{"Q8_0", Q8_0Block, RepackQ8_0x16, DotQ8_0x16x4, DotQ8_0x16x8},
			{"Q4_0", Q4_0Block, RepackQ4_0x16, DotQ4_0x16x4, DotQ4_0x16x8},
		} {
			rows := randomBlocks(r, typ.block, 16*nb)
			p := make([]byte, 16*nb*typ.block)
			typ.pack(p, rows, nb*typ.block, nb)
			const ostride = 19
			want, got := make([]float32, 7*ostride+16), make([]float32, 7*ostride+16)
			typ.four(want, ostride, p, aS, astride, nb)
			typ.four(want[4*ostride:], ostride, p, aS[4*astride:], astride, nb)
			typ.eight(got, ostride, p, aS, astride, nb)
			require.Equal(t, want, got, "%s nb=%d", typ.name, nb)
		}
	}
}

// BenchmarkDotQ8_0x16Large runs the kernels over a matrix of Qwen2.5-0.5B's
// output projection (151,936 rows of 896, 144 MB), which does not fit in
// cache: the weights stream from memory once a pass however many tokens.
func BenchmarkDotQ8_0x16Large(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb, groups = 28, 151936 / 16
	rows := randomBlocks(r, Q8_0Block, 16*nb)
	aS := make([]byte, 8*nb*Q8_0SBlock)
	QuantizeQ8_0S(aS, randomFloats(r, 8*nb*32))
	one := make([]byte, nb*Q8_0x16Block)
	RepackQ8_0x16(one, rows, nb*Q8_0Block, nb)
	packed := make([]byte, 0, groups*len(one))
	for range groups {
		packed = append(packed, one...)
	}
	out := make([]float32, 8*16*groups)
	astride := nb * Q8_0SBlock
	for _, tc := range []struct {
		name string
		run  func(g int, w []byte)
	}{
		{"one", func(g int, w []byte) { DotQ8_0x16(out[16*g:], w, aS, nb) }},
		{"four", func(g int, w []byte) { DotQ8_0x16x4(out[16*g:], 16*groups, w, aS, astride, nb) }},
		{"eight", func(g int, w []byte) { DotQ8_0x16x8(out[16*g:], 16*groups, w, aS, astride, nb) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(packed)))
			for b.Loop() {
				for g := range groups {
					tc.run(g, packed[g*len(one):(g+1)*len(one)])
				}
			}
		})
	}
}

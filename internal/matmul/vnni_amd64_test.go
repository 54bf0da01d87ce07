//go:build amd64 && !purego

package matmul

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The VNNI kernels must give the AVX2 kernels' results bit for bit: the
// same exact integer sums, scaled in the same order. Extreme values
// included: weights of -128 (Q8_0 files may hold them) against
// activations of ±127, where an int16 step or a wrong offset would show.
func TestVNNIKernelsEqualAVX2(t *testing.T) {
	if !hasAVX512VNNI() || !hasF16C() {
		t.Skip("no AVX-512 VNNI on this CPU")
	}
	r := rand.New(rand.NewPCG(31, 32))
	for _, nb := range []int{1, 3, 28, 152} {
		for _, extreme := range []bool{false, true} {
			x := randomFloats(r, 4*nb*32)
			q8 := randomBlocks(r, Q8_0Block, 8*nb)
			q4 := randomBlocks(r, Q4_0Block, 8*nb)
			if extreme {
				for i := range x {
					x[i] = float32(1 - 2*(i/7%2)) // ±1: every activation ±127
				}
				for b := 0; b < 8*nb; b++ {
					for j := 2; j < Q8_0Block; j++ {
						q8[b*Q8_0Block+j] = 0x80 // -128
					}
					for j := 2; j < Q4_0Block; j++ {
						q4[b*Q4_0Block+j] = 0xff // 15 in both nibbles
					}
				}
			}
			aS := make([]byte, 4*nb*Q8_0SBlock)
			QuantizeQ8_0S(aS, x)
			p8, p4 := make([]byte, nb*Q8_0x8Block), make([]byte, nb*Q4_0x8Block)
			RepackQ8_0x8(p8, q8, nb*Q8_0Block, nb)
			RepackQ4_0x8(p4, q4, nb*Q4_0Block, nb)
			astride := nb * Q8_0SBlock
			const ostride = 9
			for _, k := range []struct {
				name         string
				w            []byte
				one, oneVNNI func(out *float32, w, a *byte, nb int)
				four, fourV  func(out *float32, ostride int, w, a *byte, astride, nb int)
			}{
				{"Q8_0x8", p8, dotQ8_0x8AVX2, dotQ8_0x8VNNI, dotQ8_0x8x4AVX2, dotQ8_0x8x4VNNI},
				{"Q4_0x8", p4, dotQ4_0x8AVX2, dotQ4_0x8VNNI, dotQ4_0x8x4AVX2, dotQ4_0x8x4VNNI},
			} {
				want, got := make([]float32, 8), make([]float32, 8)
				for tok := 0; tok < 4; tok++ {
					k.one(&want[0], &k.w[0], &aS[tok*astride], nb)
					k.oneVNNI(&got[0], &k.w[0], &aS[tok*astride], nb)
					require.Equal(t, want, got, "%s nb=%d extreme=%v token %d", k.name, nb, extreme, tok)
				}
				want4, got4 := make([]float32, 3*ostride+8), make([]float32, 3*ostride+8)
				k.four(&want4[0], ostride, &k.w[0], &aS[0], astride, nb)
				k.fourV(&got4[0], ostride, &k.w[0], &aS[0], astride, nb)
				require.Equal(t, want4, got4, "%s x4 nb=%d extreme=%v", k.name, nb, extreme)
			}
		}
	}
	// Q4_K: random super-blocks, and extreme ones (every nibble 15, every
	// activation 127, 6-bit scales at their largest).
	for _, nb := range []int{1, 3, 8} {
		for _, extreme := range []bool{false, true} {
			rows := randomKBlocks(r, Q4_KBlock, 8*nb)
			ab := nb * Q8_KBlock
			a := make([]byte, 4*ab)
			randomQ8K(r, a, 4*nb)
			if extreme {
				for b := 0; b < 8*nb; b++ {
					blk := rows[b*Q4_KBlock : (b+1)*Q4_KBlock]
					for j := 4; j < Q4_KBlock; j++ {
						blk[j] = 0xff
					}
				}
				for b := 0; b < 4*nb; b++ {
					for j := 4; j < 260; j++ {
						a[b*Q8_KBlock+j] = 127
					}
				}
			}
			packed := make([]byte, nb*Q4_Kx8Block)
			RepackQ4_Kx8(packed, rows, nb*Q4_KBlock, nb)
			want, got := make([]float32, 8), make([]float32, 8)
			for tok := 0; tok < 4; tok++ {
				dotQ4_Kx8AVX2(&want[0], &packed[0], &a[tok*ab], nb)
				dotQ4_Kx8VNNI(&got[0], &packed[0], &a[tok*ab], nb)
				require.Equal(t, want, got, "Q4_Kx8 nb=%d extreme=%v token %d", nb, extreme, tok)
			}
			const ostride = 9
			want4, got4 := make([]float32, 3*ostride+8), make([]float32, 3*ostride+8)
			dotQ4_Kx8x4AVX2(&want4[0], ostride, &packed[0], &a[0], ab, nb)
			dotQ4_Kx8x4VNNI(&got4[0], ostride, &packed[0], &a[0], ab, nb)
			require.Equal(t, want4, got4, "Q4_Kx8x4 nb=%d extreme=%v", nb, extreme)
		}
	}
}

// The AVX-512 Q6_K kernel gives the AVX2 kernel's result bit for bit, per
// block and pairwise, on random blocks and on extreme ones (every quant 63
// or 0, scales -128 and 127, activations ±127), where a saturating or
// misplaced step would show.
func TestQ6_KAVX512EqualsAVX2(t *testing.T) {
	if !hasAVX512VNNI() || !hasAVX512BW() || !hasF16C() {
		t.Skip("no AVX-512 VNNI and BW on this CPU")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for _, nb := range []int{1, 2, 3, 8, 14} {
		for _, extreme := range []int{0, 1, 2} {
			w := randomKBlocks(r, Q6_KBlock, nb)
			x := randomFloats(r, nb*256)
			if extreme > 0 {
				fill := byte(0xff) // every quant 63
				if extreme == 2 {
					fill = 0 // every quant 0, i.e. -32
				}
				for k := 0; k < nb; k++ {
					blk := w[k*Q6_KBlock:]
					for i := 0; i < 192; i++ {
						blk[i] = fill
					}
					for i := 192; i < 208; i++ {
						blk[i] = byte([]int8{-128, 127}[i%2])
					}
				}
				for i := range x {
					x[i] = float32(1 - 2*(i/5%2))
				}
			}
			a := make([]byte, nb*Q8_KBlock)
			QuantizeQ8_K(a, x)
			for _, pairwise := range []int{0, 1} {
				want := dotQ6_KAVX2(&w[0], &a[0], nb, pairwise)
				got := dotQ6_KAVX512(&w[0], &a[0], nb, pairwise)
				require.Equal(t, want, got, "nb=%d extreme=%d pairwise=%d", nb, extreme, pairwise)
			}
		}
	}
}

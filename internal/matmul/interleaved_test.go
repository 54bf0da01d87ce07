package matmul

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// q4x8Case makes eight random Q4_0 rows of nb blocks (row stride with a
// gap, as rows of a bigger matrix), four random activation rows quantized
// both ways, and the rows repacked.
func q4x8Case(r *rand.Rand, nb int) (rows []byte, stride int, a8, aS, packed []byte) {
	stride = nb*Q4_0Block + 2*Q4_0Block
	rows = randomBlocks(r, Q4_0Block, 8*(nb+2))
	x := randomFloats(r, 4*nb*32)
	a8, aS = make([]byte, 4*nb*Q8_0Block), make([]byte, 4*nb*Q8_0SBlock)
	QuantizeQ8_0(a8, x)
	QuantizeQ8_0S(aS, x)
	packed = make([]byte, nb*Q4_0x8Block)
	RepackQ4_0x8(packed, rows, stride, nb)
	return rows, stride, a8, aS, packed
}

// TestDotQ4_0x8 checks the interleaved kernels against the one-row Q4_0
// kernel (the same exact integer sums, scaled in another order), the
// running kernel against the Go one, and the four-token kernel against the
// one-token one bit for bit.
func TestDotQ4_0x8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, nb := range []int{1, 2, 7, 28, 152} {
		rows, stride, a8, aS, packed := q4x8Case(r, nb)
		one, goOne := make([]float32, 8), make([]float32, 8)
		const ostride = 11 // a gap between tokens' outputs, as rows of a bigger matrix
		four := make([]float32, 3*ostride+8)
		DotQ4_0x8x4(four, ostride, packed, aS, nb*Q8_0SBlock, nb)
		for tok := 0; tok < 4; tok++ {
			as := aS[tok*nb*Q8_0SBlock:]
			DotQ4_0x8(one, packed, as, nb)
			dotQ4_0x8Go(goOne, packed, as, nb)
			for row := 0; row < 8; row++ {
				want := DotQ4_0(rows[row*stride:], a8[tok*nb*Q8_0Block:], nb)
				assert.InDelta(t, want, one[row], 1e-5*(1+math.Abs(float64(want))), "nb=%d token %d row %d", nb, tok, row)
				assert.InDelta(t, goOne[row], one[row], 1e-6*(1+math.Abs(float64(want))), "nb=%d token %d row %d: kernel vs Go", nb, tok, row)
				assert.Equal(t, one[row], four[ostride*tok+row], "nb=%d token %d row %d: four tokens vs one", nb, tok, row)
			}
		}
	}
}

// TestQuantizeQ8_0S checks that the activation blocks hold QuantizeQ8_0's
// values and scale and -8·Σq.
func TestQuantizeQ8_0S(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 96)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	a8, aS := make([]byte, 3*Q8_0Block), make([]byte, 3*Q8_0SBlock)
	QuantizeQ8_0(a8, x)
	QuantizeQ8_0S(aS, x)
	for b := 0; b < 3; b++ {
		blk, s := a8[b*Q8_0Block:], aS[b*Q8_0SBlock:]
		require.Equal(t, h16(blk), math.Float32frombits(uint32(s[0])|uint32(s[1])<<8|uint32(s[2])<<16|uint32(s[3])<<24))
		require.Equal(t, blk[2:Q8_0Block], s[8:Q8_0SBlock])
		sum := int32(0)
		for _, q := range blk[2:Q8_0Block] {
			sum += int32(int8(q))
		}
		require.Equal(t, -8*sum, int32(uint32(s[4])|uint32(s[5])<<8|uint32(s[6])<<16|uint32(s[7])<<24))
	}
}

func BenchmarkDotQ4_0x8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28
	_, _, _, aS, packed := q4x8Case(r, nb)
	b.SetBytes(nb * Q4_0x8Block)
	out := make([]float32, 8)
	for b.Loop() {
		DotQ4_0x8(out, packed, aS, nb)
	}
}

func BenchmarkDotQ4_0x8x4(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28
	_, _, _, aS, packed := q4x8Case(r, nb)
	b.SetBytes(nb * Q4_0x8Block)
	out := make([]float32, 32)
	for b.Loop() {
		DotQ4_0x8x4(out, 8, packed, aS, nb*Q8_0SBlock, nb)
	}
}

// The running quantizers write what the Go ones write, byte for byte: on
// normal values, a block of zeros, tiny and huge magnitudes, and exact
// halves that round to even.
func TestQuantizeQ8_0SKernelEqualsGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const nb = 40
	x := make([]float32, nb*32)
	for i := range x {
		switch b := i / 32; {
		case b == 3: // zeros
		case b == 4:
			x[i] = float32(r.NormFloat64() * 1e-6)
		case b == 5:
			x[i] = float32(r.NormFloat64() * 1e4)
		case b == 6:
			x[i] = float32(i%7) - 3 // amax 3: x·127/3 hits halves
		default:
			x[i] = float32(r.NormFloat64())
		}
	}
	got, want := make([]byte, nb*Q8_0SBlock), make([]byte, nb*Q8_0SBlock)
	QuantizeQ8_0S(got, x)
	quantizeQ8_0SGo(want, x, nb)
	for b := 0; b < nb; b++ {
		require.Equal(t, want[b*Q8_0SBlock:(b+1)*Q8_0SBlock], got[b*Q8_0SBlock:(b+1)*Q8_0SBlock], "block %d", b)
	}
	got8, want8 := make([]byte, nb*Q8_0Block), make([]byte, nb*Q8_0Block)
	QuantizeQ8_0(got8, x)
	quantizeQ8_0Go(want8, x, nb)
	for b := 0; b < nb; b++ {
		require.Equal(t, want8[b*Q8_0Block:(b+1)*Q8_0Block], got8[b*Q8_0Block:(b+1)*Q8_0Block], "Q8_0 block %d", b)
	}
}

func BenchmarkQuantizeQ8_0S(b *testing.B) {
	x := make([]float32, 4864)
	for i := range x {
		x[i] = float32(i%97) - 48
	}
	dst := make([]byte, len(x)/32*Q8_0SBlock)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		QuantizeQ8_0S(dst, x)
	}
}

// The interleaved Q4_K kernel gives each row what the one-row kernel gives
// it in decode (gemv) rounding, and the running kernel what the Go one
// gives.
func TestDotQ4_Kx8(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, nb := range []int{1, 2, 8} {
		stride := (nb + 1) * Q4_KBlock
		rows := randomKBlocks(r, Q4_KBlock, 8*(nb+1))
		a := make([]byte, nb*Q8_KBlock)
		randomQ8K(r, a, nb)
		packed := make([]byte, nb*Q4_Kx8Block)
		RepackQ4_Kx8(packed, rows, stride, nb)
		got, goGot := make([]float32, 8), make([]float32, 8)
		DotQ4_Kx8(got, packed, a, nb)
		dotQ4_Kx8Go(goGot, packed, a, nb)
		for row := 0; row < 8; row++ {
			want := DotQ4_K(rows[row*stride:], a, nb, false)
			assert.Equal(t, want, got[row], "nb=%d row %d vs DotQ4_K", nb, row)
			// The Go fallbacks round as the kernels do, both ways.
			for _, pairwise := range []bool{false, true} {
				assert.Equal(t, DotQ4_K(rows[row*stride:], a, nb, pairwise), dotQ4_KGo(rows[row*stride:], a, nb, pairwise), "nb=%d row %d pairwise %v: Go Q4_K", nb, row, pairwise)
			}
			assert.InDelta(t, goGot[row], got[row], 1e-6*(1+math.Abs(float64(want))), "nb=%d row %d vs Go", nb, row)
		}
	}
}

// The four-token interleaved Q4_K kernel gives each row and token what the
// one-row kernel gives in prompt (gemm) rounding.
func TestDotQ4_Kx8x4(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, nb := range []int{1, 3, 8} {
		stride := nb * Q4_KBlock
		rows := randomKBlocks(r, Q4_KBlock, 8*nb)
		ab := nb * Q8_KBlock
		a := make([]byte, 4*ab)
		randomQ8K(r, a, 4*nb)
		packed := make([]byte, nb*Q4_Kx8Block)
		RepackQ4_Kx8(packed, rows, stride, nb)
		const ostride = 9
		got, goGot := make([]float32, 3*ostride+8), make([]float32, 3*ostride+8)
		DotQ4_Kx8x4(got, ostride, packed, a, ab, nb)
		dotQ4_Kx8x4Go(goGot, ostride, packed, a, ab, nb)
		for tok := 0; tok < 4; tok++ {
			for row := 0; row < 8; row++ {
				want := DotQ4_K(rows[row*stride:], a[tok*ab:], nb, true)
				assert.Equal(t, want, got[tok*ostride+row], "nb=%d token %d row %d vs DotQ4_K", nb, tok, row)
				assert.Equal(t, want, goGot[tok*ostride+row], "nb=%d token %d row %d: Go", nb, tok, row)
			}
		}
	}
}

func BenchmarkDotQ4_Kx8x4(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 8
	rows := randomKBlocks(r, Q4_KBlock, 8*nb)
	a := make([]byte, 4*nb*Q8_KBlock)
	randomQ8K(r, a, 4*nb)
	packed := make([]byte, nb*Q4_Kx8Block)
	RepackQ4_Kx8(packed, rows, nb*Q4_KBlock, nb)
	out := make([]float32, 32)
	b.SetBytes(nb * Q4_Kx8Block)
	for b.Loop() {
		DotQ4_Kx8x4(out, 8, packed, a, nb*Q8_KBlock, nb)
	}
}

func BenchmarkDotQ4_Kx8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 8 // a 2048-wide row
	rows := randomKBlocks(r, Q4_KBlock, 8*nb)
	a := make([]byte, nb*Q8_KBlock)
	randomQ8K(r, a, nb)
	packed := make([]byte, nb*Q4_Kx8Block)
	RepackQ4_Kx8(packed, rows, nb*Q4_KBlock, nb)
	out := make([]float32, 8)
	b.SetBytes(nb * Q4_Kx8Block)
	for b.Loop() {
		DotQ4_Kx8(out, packed, a, nb)
	}
}

// The interleaved Q8_0 kernels: the exact integer sums of DotQ8_0 scaled
// in block order (so within float rounding of it), the running kernel as
// the Go one, and four tokens as one bit for bit.
func TestDotQ8_0x8(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, nb := range []int{1, 5, 28} {
		stride := (nb + 1) * Q8_0Block
		rows := randomBlocks(r, Q8_0Block, 8*(nb+1))
		for i := 0; i < 8*(nb+1); i += 7 {
			rows[i*Q8_0Block+2+i%32] = 0x80 // -128: files may hold it
		}
		x := randomFloats(r, 4*nb*32)
		a8, aS := make([]byte, 4*nb*Q8_0Block), make([]byte, 4*nb*Q8_0SBlock)
		QuantizeQ8_0(a8, x)
		QuantizeQ8_0S(aS, x)
		packed := make([]byte, nb*Q8_0x8Block)
		RepackQ8_0x8(packed, rows, stride, nb)
		const ostride = 10
		four := make([]float32, 3*ostride+8)
		DotQ8_0x8x4(four, ostride, packed, aS, nb*Q8_0SBlock, nb)
		one, goOne := make([]float32, 8), make([]float32, 8)
		for tok := 0; tok < 4; tok++ {
			as := aS[tok*nb*Q8_0SBlock:]
			DotQ8_0x8(one, packed, as, nb)
			dotQ8_0x8Go(goOne, packed, as, nb)
			for row := 0; row < 8; row++ {
				want := DotQ8_0(rows[row*stride:], a8[tok*nb*Q8_0Block:], nb)
				assert.InDelta(t, want, one[row], 1e-5*(1+math.Abs(float64(want))), "nb=%d token %d row %d", nb, tok, row)
				assert.InDelta(t, goOne[row], one[row], 1e-6*(1+math.Abs(float64(want))), "nb=%d token %d row %d: Go", nb, tok, row)
				assert.Equal(t, one[row], four[tok*ostride+row], "nb=%d token %d row %d: four vs one", nb, tok, row)
			}
		}
	}
}

func BenchmarkDotQ8_0x8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28
	rows := randomBlocks(r, Q8_0Block, 8*nb)
	x := randomFloats(r, 4*nb*32)
	aS := make([]byte, 4*nb*Q8_0SBlock)
	QuantizeQ8_0S(aS, x)
	packed := make([]byte, nb*Q8_0x8Block)
	RepackQ8_0x8(packed, rows, nb*Q8_0Block, nb)
	out := make([]float32, 32)
	b.Run("one", func(b *testing.B) {
		b.SetBytes(nb * Q8_0x8Block)
		for b.Loop() {
			DotQ8_0x8(out, packed, aS, nb)
		}
	})
	b.Run("four", func(b *testing.B) {
		b.SetBytes(nb * Q8_0x8Block)
		for b.Loop() {
			DotQ8_0x8x4(out, 8, packed, aS, nb*Q8_0SBlock, nb)
		}
	})
}

// Q5_0 rows repacked as Q8_0x8 blocks give DotQ5_0's exact integer sums
// (within float rounding of its scaling).
func TestRepackQ5_0x8(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, nb := range []int{1, 4, 28} {
		stride := nb * Q5_0Block
		rows := randomBlocks(r, Q5_0Block, 8*nb)
		x := randomFloats(r, nb*32)
		a8, aS := make([]byte, nb*Q8_0Block), make([]byte, nb*Q8_0SBlock)
		QuantizeQ8_0(a8, x)
		QuantizeQ8_0S(aS, x)
		packed := make([]byte, nb*Q8_0x8Block)
		RepackQ5_0x8(packed, rows, stride, nb)
		got := make([]float32, 8)
		DotQ8_0x8(got, packed, aS, nb)
		for row := 0; row < 8; row++ {
			want := DotQ5_0(rows[row*stride:], a8, nb)
			assert.InDelta(t, want, got[row], 1e-5*(1+math.Abs(float64(want))), "nb=%d row %d", nb, row)
		}
	}
}

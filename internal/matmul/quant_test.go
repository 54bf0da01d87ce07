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

// randomBlocks makes nb weight blocks of a type with random scales and
// quants (including the extreme values).
func randomBlocks(r *rand.Rand, size, nb int) []byte {
	b := make([]byte, size*nb)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	for k := 0; k < nb; k++ {
		binary.LittleEndian.PutUint16(b[k*size:], half.FromFloat(float32(r.NormFloat64()*0.01)))
		if size == Q8_0Block {
			for j := 2; j < size; j++ {
				if int8(b[k*size+j]) == -128 {
					b[k*size+j] = 0x81 // Q8_0 quants are -127..127
				}
			}
		}
	}
	return b
}

// reference dequantizes both sides and sums in float64.
func reference(w, a []byte, nb int, q4 bool) float64 {
	var s float64
	for k := 0; k < nb; k++ {
		ab := a[k*Q8_0Block:]
		da := float64(half.ToFloat(binary.LittleEndian.Uint16(ab)))
		var wv [32]float64
		if q4 {
			wb := w[k*Q4_0Block:]
			dw := float64(half.ToFloat(binary.LittleEndian.Uint16(wb)))
			for j := 0; j < 16; j++ {
				wv[j] = dw * float64(int(wb[2+j]&0xf)-8)
				wv[j+16] = dw * float64(int(wb[2+j]>>4)-8)
			}
		} else {
			wb := w[k*Q8_0Block:]
			dw := float64(half.ToFloat(binary.LittleEndian.Uint16(wb)))
			for j := 0; j < 32; j++ {
				wv[j] = dw * float64(int8(wb[2+j]))
			}
		}
		for j := 0; j < 32; j++ {
			s += wv[j] * da * float64(int8(ab[2+j]))
		}
	}
	return s
}

func TestQuantizedDots(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, nb := range []int{0, 1, 2, 7, 28, 152} {
		x := randomFloats(r, nb*32)
		a := make([]byte, nb*Q8_0Block)
		QuantizeQ8_0(a, x)
		for _, q4 := range []bool{false, true} {
			size, dot := Q8_0Block, DotQ8_0
			if q4 {
				size, dot = Q4_0Block, DotQ4_0
			}
			w := randomBlocks(r, size, max(nb, 1))
			if nb == 0 {
				assert.Zero(t, dot(w, a, 0))
				continue
			}
			want := reference(w, a, nb, q4)
			got := dot(w, a, nb)
			goGot := map[bool]func([]byte, []byte, int) float32{false: dotQ8_0Go, true: dotQ4_0Go}[q4](w, a, nb)
			tol := 1e-5*math.Abs(want) + 1e-6
			assert.InDelta(t, want, float64(got), tol, "q4=%v nb=%d (kernel %s)", q4, nb, Kernel)
			assert.InDelta(t, want, float64(goGot), tol, "q4=%v nb=%d (Go)", q4, nb)
		}
	}
}

func TestQuantizeQ8_0(t *testing.T) {
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(i) - 20
	}
	x[40] = 0.5 // rounds to even against 127/max
	a := make([]byte, 2*Q8_0Block)
	QuantizeQ8_0(a, x)
	d0 := half.ToFloat(binary.LittleEndian.Uint16(a))
	require.InDelta(t, 20.0/127, d0, 1e-4)
	assert.Equal(t, int8(-127), int8(a[2])) // -20 is the block's max magnitude
	zero := make([]byte, Q8_0Block)
	QuantizeQ8_0(zero, make([]float32, 32))
	assert.Equal(t, make([]byte, Q8_0Block), zero)
}

func BenchmarkDotQ8_0(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28 // a 896-wide row
	w, a := randomBlocks(r, Q8_0Block, nb), randomBlocks(r, Q8_0Block, nb)
	b.SetBytes(nb * Q8_0Block)
	for b.Loop() {
		DotQ8_0(w, a, nb)
	}
}

func BenchmarkDotQ4_0(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 28
	w, a := randomBlocks(r, Q4_0Block, nb), randomBlocks(r, Q8_0Block, nb)
	b.SetBytes(nb * Q4_0Block)
	for b.Loop() {
		DotQ4_0(w, a, nb)
	}
}

func TestDotKernelEqualsGo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 1023, 1024} {
		a, b := make([]float32, n), make([]float32, n+3)
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		want := dotGo(a, b)
		assert.InDelta(t, want, Dot(a, b), 1e-4*(1+math.Abs(float64(want))), "n=%d (%s)", n, Kernel)
	}
}

package matmul

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSwiGLU holds the kernel in use (AVX2's approximate exp on this
// machine) to float64 arithmetic: within 4 float32 ulps for ordinary
// values, and exact at the extremes where e^-g underflows; below
// g = -88.38, e^-g may overflow and the result be 0.
func TestSwiGLU(t *testing.T) {
	var gate, up []float32
	for _, g := range []float32{0, -0, 1, -1, 0.5, -0.5, 20, -20, 87, -87, 88.5, -88.5, 90, -90, 104, -104, 110, -110, 200, -200, 1e-30, -1e-30, 3e38, -3e38} {
		gate, up = append(gate, g), append(up, 1)
	}
	r := randomFloats(rand.New(rand.NewPCG(1, 2)), 1000+3) // not a multiple of 8: the Go tail runs too
	for i := range r {
		gate, up = append(gate, r[i]*12), append(up, r[(i+1)%len(r)])
	}
	got := append([]float32(nil), gate...)
	SwiGLU(got, up)
	for i, g := range gate {
		want := float64(g) / (1 + math.Exp(-float64(g))) * float64(up[i])
		d := math.Abs(float64(got[i]) - want)
		ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
		if g < -88.38 && got[i] == 0 {
			continue // e^-g flushes to +Inf there, as in llama.cpp
		}
		if math.IsInf(want, 0) || want == 0 {
			if float64(got[i]) != want && !(want == 0 && got[i] == 0) {
				t.Errorf("swiglu(%g, %g) = %g, want %g", g, up[i], got[i], want)
			}
			continue
		}
		if d > 4*ulp {
			t.Errorf("swiglu(%g, %g) = %g, want %g (%.1f ulp)", g, up[i], got[i], want, d/ulp)
		}
	}
}

func BenchmarkSwiGLU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	gate, up := randomFloats(r, 4864), randomFloats(r, 4864)
	b.SetBytes(4864 * 8)
	for b.Loop() {
		SwiGLU(gate, up)
	}
}

// TestGELU holds the kernel in use to float64 arithmetic: within 4 ulps
// of the result or 1e-7 absolute (near zero crossings of u/(1+e^-2z) the
// two forms round differently), and exact in the tails.
func TestGELU(t *testing.T) {
	x := []float32{0, 1, -1, 0.5, -0.5, 3, -3, 10, -10, 20, -20, 60, -60, 1e-20, -1e-20, 3e5, -3e5}
	x = append(x, randomFloats(rand.New(rand.NewPCG(3, 4)), 2001)...)
	for i := range x[17:] {
		x[17+i] *= 4
	}
	got := append([]float32(nil), x...)
	GELU(got)
	const k = 0.7978845608028654
	for i, v := range x {
		u := float64(v)
		want := 0.5 * u * (1 + math.Tanh(k*(u+0.044715*u*u*u)))
		d := math.Abs(float64(got[i]) - want)
		ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
		if d > 4*ulp && d > 1e-7 {
			t.Errorf("gelu(%g) = %g, want %g (%.1f ulp)", v, got[i], want, d/ulp)
		}
	}
}

func BenchmarkGELU(b *testing.B) {
	x := randomFloats(rand.New(rand.NewPCG(1, 2)), 3072)
	b.SetBytes(3072 * 4)
	for b.Loop() {
		copy(x, x) // the same inputs each time is fine: the cost does not depend on them
		GELU(x)
	}
}

// SoftmaxExp's numerators are e^(x-max) within a few ulp (AVX2: the
// single-precision e^x of SwiGLU; the tail and pure Go: math.Exp), masked
// scores (-Inf) give 0, and the sum is theirs.
func TestSoftmaxExp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 64, 301} {
		for _, spread := range []float32{1, 30, 200} {
			x := randomFloats(r, n)
			for i := range x {
				x[i] *= spread
			}
			if n > 2 {
				x[1] = float32(math.Inf(-1))
			}
			orig := append([]float32(nil), x...)
			sum := SoftmaxExp(x)
			m := math.Inf(-1)
			for _, v := range orig {
				m = math.Max(m, float64(v))
			}
			var want float32
			for i, v := range orig {
				d := float64(v - float32(m)) // the difference as float32 rounds it
				w := math.Exp(d)
				want += x[i]
				if w < 1e-30 { // near float32's smallest normals: absolute error
					assert.InDelta(t, w, float64(x[i]), 1e-37, "n=%d spread=%g: e^%g", n, spread, d)
					continue
				}
				ulp := math.Abs(float64(math.Nextafter32(float32(w), 2) - float32(w)))
				assert.LessOrEqual(t, math.Abs(float64(x[i])-w), 4*ulp, "n=%d spread=%g: e^%g = %g, want %g", n, spread, d, x[i], w)
			}
			assert.Equal(t, want, sum, "n=%d: the sum of the numerators, in order", n)
		}
	}
}

package matmul

import (
	"math"
	"math/rand/v2"
	"testing"
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

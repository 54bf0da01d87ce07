package matmul

import "math"

// The kernels in use (AVX2 ones replace them at init).
var (
	swiglu = swigluGo
	gelu   = geluGo
)

// SwiGLU sets gate[i] = silu(gate[i])·up[i] for the first len(gate)
// values, with silu(g) = g/(1+e^-g): the feed-forward activation of
// Llama and Qwen.
//
// With AVX2 and FMA, e^x is the single-precision approximation llama.cpp's
// CPU backend uses on such machines (Arm's optimized-routines expf: a
// degree-5 polynomial after reducing by ln 2, at most about 2 ulp from
// the true value, flushing below -103.97 to 0 and above 88.38 to +Inf), so
// that the two runtimes' activations agree; the pure-Go path uses
// math.Exp.
func SwiGLU(gate, up []float32) {
	up = up[:len(gate)]
	swiglu(gate, up)
}

func swigluGo(gate, up []float32) {
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// GELU applies GPT-2's tanh approximation in place:
// 0.5·u·(1 + tanh(sqrt(2/π)·(u + 0.044715·u³))). With AVX2 it is computed
// in single precision as u/(1 + e^-2z), the same function, with the exp
// of SwiGLU.
func GELU(x []float32) { gelu(x) }

func geluGo(x []float32) {
	const k = 0.7978845608028654 // sqrt(2/pi)
	for i, v := range x {
		u := float64(v)
		x[i] = float32(0.5 * u * (1 + math.Tanh(k*(u+0.044715*u*u*u))))
	}
}

package matmul

import "math"

// swiglu is the kernel in use (an AVX2 one replaces it at init).
var swiglu = swigluGo

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

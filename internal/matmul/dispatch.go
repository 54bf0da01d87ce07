package matmul

// The kernels in use; SIMD versions replace them at init where the CPU has
// the instructions (see kernels_amd64.go).
var (
	dot3x4 = dot3x4Go
	dot1x4 = dot1x4Go
	dotFn  = dotGo
	// Kernel names the kernel set in use, for reports.
	Kernel = "go"
)

// Dot is the inner product of a and b (len(b) >= len(a)).
func Dot(a, b []float32) float32 { return dotFn(a, b) }

// DotFixed is Dot summed in one fixed order (four interleaved partial
// sums) whatever kernel the CPU gets: for results that must not depend on
// the machine, such as the attention scores compared with llama.cpp.
func DotFixed(a, b []float32) float32 { return dotGo(a, b) }

// UseGeneric switches to the pure-Go kernels (for tests and comparisons).
func UseGeneric() {
	dot3x4, dot1x4, dotFn, Kernel = dot3x4Go, dot1x4Go, dotGo, "go"
	dotQ8_0, dotQ4_0 = dotQ8_0Go, dotQ4_0Go
	dotQ4_K, dotQ4_Kx4, dotQ6_K, dotQ6_Kx4 = dotQ4_KGo, dotQ4_Kx4Go, dotQ6_KGo, dotQ6_Kx4Go
	dotQ5_K, dotQ5_Kx4 = dotQ5_KGo, dotQ5_Kx4Go
	dotQ4_0x8, dotQ4_0x8x4, quantizeQ8_0S = dotQ4_0x8Go, dotQ4_0x8x4Go, quantizeQ8_0SGo
	quantizeQ8_0, dotQ4_Kx8, dotQ4_Kx8x4 = quantizeQ8_0Go, dotQ4_Kx8Go, dotQ4_Kx8x4Go
	dotQ8_0x8, dotQ8_0x8x4 = dotQ8_0x8Go, dotQ8_0x8x4Go
	dotQ8_0x16, dotQ8_0x16x4, dotQ4_0x16, dotQ4_0x16x4 = dotQ8_0x16Go, dotQ8_0x16x4Go, dotQ4_0x16Go, dotQ4_0x16x4Go
	dotQ8_0x16x8, dotQ4_0x16x8 = dotQ8_0x16x8Go, dotQ4_0x16x8Go
	wide = false
	swiglu, gelu, expSub = swigluGo, geluGo, expSubGo
	axpy, scoresFixed = axpyGo, scoresFixedGo
}

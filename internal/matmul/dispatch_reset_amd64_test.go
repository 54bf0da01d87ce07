//go:build amd64 && !purego

package matmul

func resetKernels() {
	UseGeneric()
	if hasAVX2FMA() {
		dot3x4, dot1x4, Kernel = dot3x4Asm, dot1x4Asm, "avx2+fma"
	}
	if hasAVX512() {
		dot3x4, dot1x4, Kernel = dot3x4AVX512Asm, dot1x4AVX512Asm, "avx512+fma"
	}
}

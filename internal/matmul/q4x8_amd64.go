//go:build amd64 && !purego

package matmul

import "os"

//go:noescape
func dotQ4_0x8AVX2(out *[8]float32, w, a *byte, nb int)

//go:noescape
func dotQ4_0x8x4AVX2(out *[32]float32, w, a *byte, astride, nb int)

func init() {
	if os.Getenv("PONDER_NOSIMD") != "" || !hasAVX2FMA() || !hasF16C() {
		return
	}
	// The callers check nb > 0 and the slice bounds.
	dotQ4_0x8 = func(out *[8]float32, w, a []byte, nb int) { dotQ4_0x8AVX2(out, &w[0], &a[0], nb) }
	dotQ4_0x8x4 = func(out *[32]float32, w, a []byte, astride, nb int) {
		dotQ4_0x8x4AVX2(out, &w[0], &a[0], astride, nb)
	}
}

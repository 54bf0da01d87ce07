//go:build amd64 && !purego

package matmul

import "os"

//go:noescape
func dotQ4_0x8AVX2(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ4_0x8x4AVX2(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func quantizeQ8_0SAVX2(dst *byte, x *float32, nb int)

//go:noescape
func quantizeQ8_0AVX2(dst *byte, x *float32, nb int)

//go:noescape
func dotQ4_Kx8AVX2(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ4_Kx8x4AVX2(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ8_0x8AVX2(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ8_0x8x4AVX2(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ8_0x8VNNI(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ8_0x8x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ4_0x8VNNI(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ4_0x8x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ4_Kx8VNNI(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ4_Kx8x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ8_0x16VNNI(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ8_0x16x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ4_0x16VNNI(out *float32, w, a *byte, nb int)

//go:noescape
func dotQ4_0x16x4VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ8_0x16x8VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

//go:noescape
func dotQ4_0x16x8VNNI(out *float32, ostride int, w, a *byte, astride, nb int)

func init() {
	if os.Getenv("PONDER_NOSIMD") != "" || !hasAVX2FMA() || !hasF16C() {
		return
	}
	// The callers check nb > 0 and the slice bounds.
	quantizeQ8_0S = func(dst []byte, x []float32, nb int) { quantizeQ8_0SAVX2(&dst[0], &x[0], nb) }
	quantizeQ8_0 = func(dst []byte, x []float32, nb int) { quantizeQ8_0AVX2(&dst[0], &x[0], nb) }
	dotQ4_Kx8 = func(out []float32, w, a []byte, nb int) { dotQ4_Kx8AVX2(&out[0], &w[0], &a[0], nb) }
	dotQ4_Kx8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_Kx8x4AVX2(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ8_0x8 = func(out []float32, w, a []byte, nb int) { dotQ8_0x8AVX2(&out[0], &w[0], &a[0], nb) }
	dotQ8_0x8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ8_0x8x4AVX2(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ4_0x8 = func(out []float32, w, a []byte, nb int) { dotQ4_0x8AVX2(&out[0], &w[0], &a[0], nb) }
	dotQ4_0x8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_0x8x4AVX2(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	if hasAVX512VNNI() {
		useVNNI()
	}
}

// useVNNI switches the Q8_0x8, Q4_0x8 and Q4_Kx8 kernels to their AVX-512
// VNNI versions (vnni_amd64.s; Q4_K's beside its AVX2 kernels in
// interleaved_amd64.s, whose macros they share), which give the AVX2
// kernels' results bit for bit, and turns on the sixteen-row kernels.
func useVNNI() {
	dotQ4_Kx8 = func(out []float32, w, a []byte, nb int) { dotQ4_Kx8VNNI(&out[0], &w[0], &a[0], nb) }
	dotQ4_Kx8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_Kx8x4VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ8_0x8 = func(out []float32, w, a []byte, nb int) { dotQ8_0x8VNNI(&out[0], &w[0], &a[0], nb) }
	dotQ8_0x8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ8_0x8x4VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ4_0x8 = func(out []float32, w, a []byte, nb int) { dotQ4_0x8VNNI(&out[0], &w[0], &a[0], nb) }
	dotQ4_0x8x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_0x8x4VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	// The sixteen-row kernels (x16_amd64.s), on 512-bit vectors.
	dotQ8_0x16 = func(out []float32, w, a []byte, nb int) { dotQ8_0x16VNNI(&out[0], &w[0], &a[0], nb) }
	dotQ8_0x16x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ8_0x16x4VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ4_0x16 = func(out []float32, w, a []byte, nb int) { dotQ4_0x16VNNI(&out[0], &w[0], &a[0], nb) }
	dotQ4_0x16x4 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_0x16x4VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ8_0x16x8 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ8_0x16x8VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	dotQ4_0x16x8 = func(out []float32, ostride int, w, a []byte, astride, nb int) {
		dotQ4_0x16x8VNNI(&out[0], ostride, &w[0], &a[0], astride, nb)
	}
	wide = true
}

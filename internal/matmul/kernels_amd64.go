//go:build amd64 && !purego

package matmul

import "os"

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax, edx uint32)

//go:noescape
func dot3x4AVX2(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 *float32, n int)

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func dotQ8_0AVX2(w, a *byte, nb int) float32

//go:noescape
func dotQ4_0AVX2(w, a *byte, nb int) float32

//go:noescape
func dotQ6_KAVX512(w, a *byte, nb, pairwise int) float32

//go:noescape
func dot1x4AVX2(s *[4]float32, x, w0, w1, w2, w3 *float32, n int)

// hasAVX2FMA reports AVX2 and FMA support, with the OS saving YMM state.
func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}

// hasAVX512 reports AVX512F, with the OS saving the opmask and ZMM state;
// PONDER_NOAVX512 set turns it off (to compare with the AVX2 kernels).
func hasAVX512() bool {
	if os.Getenv("PONDER_NOAVX512") != "" || !hasAVX2FMA() {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<16) != 0
}

// hasAVX512VNNI reports AVX-512 VNNI (AVX512F, VL and VNNI), which the
// VNNI kernels need on 256-bit (vnni_amd64.s) and 512-bit (x16_amd64.s)
// vectors.
func hasAVX512VNNI() bool {
	if !hasAVX512() {
		return false
	}
	_, b7, c7, _ := cpuid(7, 0)
	const avx512vl, vnni = 1 << 31, 1 << 11
	return b7&avx512vl != 0 && c7&vnni != 0
}

// hasAVX512BW reports AVX-512's byte and word instructions (VPMADDUBSW
// and VPERMW on 512-bit vectors, for the Q6_K kernel).
func hasAVX512BW() bool {
	if !hasAVX512() {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<30) != 0
}

// hasF16C reports the half-precision conversion instructions.
func hasF16C() bool {
	_, _, c1, _ := cpuid(1, 0)
	return c1&(1<<29) != 0
}

func init() {
	if os.Getenv("PONDER_NOSIMD") != "" || !hasAVX2FMA() {
		return
	}
	dot3x4 = dot3x4Asm
	dot1x4 = dot1x4Asm
	dotFn = dotAsm
	swiglu, gelu, expSub = swigluSIMD, geluSIMD, expSubSIMD
	Kernel = "avx2+fma"
	if hasAVX512() {
		dot3x4, dot1x4 = dot3x4AVX512Asm, dot1x4AVX512Asm
		Kernel = "avx512+fma"
		if hasAVX512VNNI() && hasF16C() {
			Kernel = "avx512+fma+vnni" // VNNI: the interleaved quantized kernels
		}
	}
	if hasF16C() {
		// The exported wrappers check nb > 0 and the slice bounds.
		dotQ8_0 = func(w, a []byte, nb int) float32 {
			return dotQ8_0AVX2(&w[0], &a[0], nb)
		}
		dotQ4_0 = func(w, a []byte, nb int) float32 {
			return dotQ4_0AVX2(&w[0], &a[0], nb)
		}
		dotQ4_K = func(w, a []byte, nb int, pairwise bool) float32 {
			return dotQ4_KAVX2(&w[0], &a[0], nb, flag(pairwise))
		}
		dotQ4_Kx4 = func(out *[4]float32, w, a []byte, astride, nb int) {
			dotQ4_Kx4AVX2(out, &w[0], &a[0], astride, nb)
		}
		dotQ5_K = func(w, a []byte, nb int, pairwise bool) float32 {
			return dotQ5_KAVX2(&w[0], &a[0], nb, flag(pairwise))
		}
		dotQ5_Kx4 = func(out *[4]float32, w, a []byte, astride, nb int) {
			dotQ5_Kx4AVX2(out, &w[0], &a[0], astride, nb)
		}
		dotQ6_Kx4 = func(out *[4]float32, w, a []byte, astride, nb int) {
			dotQ6_Kx4AVX2(out, &w[0], &a[0], astride, nb)
		}
		dotQ6_K = func(w, a []byte, nb int, pairwise bool) float32 {
			return dotQ6_KAVX2(&w[0], &a[0], nb, flag(pairwise))
		}
		if hasAVX512VNNI() && hasAVX512BW() {
			dotQ6_K = func(w, a []byte, nb int, pairwise bool) float32 {
				return dotQ6_KAVX512(&w[0], &a[0], nb, flag(pairwise))
			}
		}
	}
}

// flag is b as the 0 or 1 an assembly kernel takes.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dot3x4Asm runs the AVX2 kernel on the multiple-of-8 prefix and adds the
// tail in Go.
func dot3x4Asm(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 []float32) {
	n := len(x0)
	x1, x2, w0, w1, w2, w3 = x1[:n], x2[:n], w0[:n], w1[:n], w2[:n], w3[:n]
	n8 := n &^ 7
	if n8 > 0 {
		dot3x4AVX2(s, &x0[0], &x1[0], &x2[0], &w0[0], &w1[0], &w2[0], &w3[0], n8)
	} else {
		*s = [12]float32{}
	}
	for i := n8; i < n; i++ {
		for r, x := range [3][]float32{x0, x1, x2} {
			s[4*r] += x[i] * w0[i]
			s[4*r+1] += x[i] * w1[i]
			s[4*r+2] += x[i] * w2[i]
			s[4*r+3] += x[i] * w3[i]
		}
	}
}

//go:noescape
func dot3x4AVX512(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 *float32, n int)

//go:noescape
func dot1x4AVX512(s *[4]float32, x, w0, w1, w2, w3 *float32, n int)

// dot3x4AVX512Asm runs the AVX-512 kernel on the multiple-of-16 prefix
// and the AVX2 path on the rest.
func dot3x4AVX512Asm(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 []float32) {
	n := len(x0)
	n16 := n &^ 15
	if n16 == 0 {
		dot3x4Asm(s, x0, x1, x2, w0, w1, w2, w3)
		return
	}
	x1, x2, w0, w1, w2, w3 = x1[:n], x2[:n], w0[:n], w1[:n], w2[:n], w3[:n]
	dot3x4AVX512(s, &x0[0], &x1[0], &x2[0], &w0[0], &w1[0], &w2[0], &w3[0], n16)
	if n16 < n {
		var t [12]float32
		dot3x4Asm(&t, x0[n16:], x1[n16:], x2[n16:], w0[n16:], w1[n16:], w2[n16:], w3[n16:])
		for i := range s {
			s[i] += t[i]
		}
	}
}

// dot1x4AVX512Asm runs the AVX-512 kernel on the multiple-of-32 prefix
// and the AVX2 path on the rest.
func dot1x4AVX512Asm(s *[4]float32, x, w0, w1, w2, w3 []float32) {
	n := len(x)
	n32 := n &^ 31
	if n32 == 0 {
		dot1x4Asm(s, x, w0, w1, w2, w3)
		return
	}
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	dot1x4AVX512(s, &x[0], &w0[0], &w1[0], &w2[0], &w3[0], n32)
	if n32 < n {
		var t [4]float32
		dot1x4Asm(&t, x[n32:], w0[n32:], w1[n32:], w2[n32:], w3[n32:])
		for i := range s {
			s[i] += t[i]
		}
	}
}

// dotAsm runs the AVX2 dot product on the multiple-of-8 prefix.
func dotAsm(a, b []float32) float32 {
	b = b[:len(a)]
	n8 := len(a) &^ 7
	var s float32
	if n8 > 0 {
		s = dotAVX2(&a[0], &b[0], n8)
	}
	for i := n8; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

func dot1x4Asm(s *[4]float32, x, w0, w1, w2, w3 []float32) {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	n16 := n &^ 15
	if n16 > 0 {
		dot1x4AVX2(s, &x[0], &w0[0], &w1[0], &w2[0], &w3[0], n16)
	} else {
		*s = [4]float32{}
	}
	for i := n16; i < n; i++ {
		s[0] += x[i] * w0[i]
		s[1] += x[i] * w1[i]
		s[2] += x[i] * w2[i]
		s[3] += x[i] * w3[i]
	}
}

//go:noescape
func dotQ4_KAVX2(w, a *byte, nb, pairwise int) float32

//go:noescape
func dotQ6_KAVX2(w, a *byte, nb, pairwise int) float32

//go:noescape
func dotQ4_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)

//go:noescape
func dotQ6_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)

//go:noescape
func dotQ5_KAVX2(w, a *byte, nb, pairwise int) float32

//go:noescape
func dotQ5_Kx4AVX2(out *[4]float32, w, a *byte, astride, nb int)

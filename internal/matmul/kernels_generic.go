package matmul

// Pure-Go kernels: the reference for the SIMD ones and the fallback on
// machines without them.

func dot3x4Go(s *[12]float32, x0, x1, x2, w0, w1, w2, w3 []float32) {
	var a, b, c [4]float32
	dot1x4Go(&a, x0, w0, w1, w2, w3)
	dot1x4Go(&b, x1, w0, w1, w2, w3)
	dot1x4Go(&c, x2, w0, w1, w2, w3)
	*s = [12]float32{a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], c[0], c[1], c[2], c[3]}
}

func dot1x4Go(s *[4]float32, x, w0, w1, w2, w3 []float32) {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, a2, a3 float32
	for i := 0; i < n; i++ {
		u := x[i]
		a0 += u * w0[i]
		a1 += u * w1[i]
		a2 += u * w2[i]
		a3 += u * w3[i]
	}
	*s = [4]float32{a0, a1, a2, a3}
}

// dotGo is a dot product with four accumulators.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	n := len(a) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for i := n; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

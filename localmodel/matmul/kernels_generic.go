package matmul

// Pure-Go kernels: the reference for the SIMD ones and the fallback on
// machines without them.

func dot2x4Go(s *[8]float32, x0, x1, w0, w1, w2, w3 []float32) {
	n := len(x0)
	x1, w0, w1, w2, w3 = x1[:n], w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, a2, a3, c0, c1, c2, c3 float32
	for i := 0; i < n; i++ {
		u, v := x0[i], x1[i]
		p, q, r, t := w0[i], w1[i], w2[i], w3[i]
		a0 += u * p
		a1 += u * q
		a2 += u * r
		a3 += u * t
		c0 += v * p
		c1 += v * q
		c2 += v * r
		c3 += v * t
	}
	*s = [8]float32{a0, a1, a2, a3, c0, c1, c2, c3}
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

//go:build amd64 && !purego

package matmul

import "os"

//go:noescape
func axpyAVX2(o, v *float32, w float32, n int)

//go:noescape
func scoresFixedAVX2(sc, q, k *float32, stride, keys, d int, scale float32)

func init() {
	if os.Getenv("PONDER_NOSIMD") != "" || !hasAVX2FMA() {
		return
	}
	axpy, scoresFixed = axpyAsm, scoresFixedAsm
}

func axpyAsm(o, v []float32, w float32) {
	v = v[:len(o)]
	n8 := len(o) &^ 7
	if n8 > 0 {
		axpyAVX2(&o[0], &v[0], w, n8)
	}
	for i := n8; i < len(o); i++ {
		o[i] += w * v[i]
	}
}

func scoresFixedAsm(sc, q, k []float32, stride, off int, scale float32) {
	d, n := len(q), len(sc)
	n4 := n &^ 3
	if d%4 != 0 || d == 0 || n4 == 0 {
		scoresFixedGo(sc, q, k, stride, off, scale)
		return
	}
	_ = k[(n-1)*stride+off+d-1]
	scoresFixedAVX2(&sc[0], &q[0], &k[off], stride, n4, d, scale)
	scoresFixedGo(sc[n4:], q, k[n4*stride:], stride, off, scale)
}

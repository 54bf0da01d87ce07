//go:build amd64 && !purego

package matmul

//go:noescape
func swigluAVX2(gate, up *float32, n int)

// swigluSIMD runs whole vectors of eight in assembly and the rest in Go
// (llama.cpp too finishes a row's last values with scalar code).
func swigluSIMD(gate, up []float32) {
	n := len(gate) &^ 7
	if n > 0 {
		swigluAVX2(&gate[0], &up[0], n)
	}
	swigluGo(gate[n:], up[n:])
}

//go:noescape
func geluAVX2(x *float32, n int)

func geluSIMD(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		geluAVX2(&x[0], n)
	}
	geluGo(x[n:])
}

//go:noescape
func expSubAVX2(x *float32, n int, m float32)

// expSubSIMD runs whole vectors of eight in assembly and the rest in Go.
func expSubSIMD(x []float32, m float32) {
	n := len(x) &^ 7
	if n > 0 {
		expSubAVX2(&x[0], n, m)
	}
	expSubGo(x[n:], m)
}

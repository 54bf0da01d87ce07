package matmul

import (
	"math"
	"math/rand/v2"
	"testing"
)

func naive(out, in, w, bias []float32, rows, inDim, outDim int) {
	for r := 0; r < rows; r++ {
		for o := 0; o < outDim; o++ {
			var s float64
			for c := 0; c < inDim; c++ {
				s += float64(in[r*inDim+c]) * float64(w[o*inDim+c])
			}
			if bias != nil {
				s += float64(bias[o])
			}
			out[r*outDim+o] = float32(s)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestMatMulAgainstNaive(t *testing.T) {
	for _, generic := range []bool{false, true} {
		if generic {
			UseGeneric()
			defer resetKernels()
		}
		testMatMul(t)
	}
}

func testMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {1, 7, 5}, {3, 13, 9}, {2, 64, 64}, {5, 33, 130}, {1, 768, 768}, {17, 96, 300}, {64, 128, 256}}
	for _, sh := range shapes {
		rows, inDim, outDim := sh[0], sh[1], sh[2]
		in, w, b := randSlice(r, rows*inDim), randSlice(r, outDim*inDim), randSlice(r, outDim)
		for _, bias := range [][]float32{nil, b} {
			want := make([]float32, rows*outDim)
			got := make([]float32, rows*outDim)
			naive(want, in, w, bias, rows, inDim, outDim)
			for _, th := range []int{0, 1, 2, 3} {
				if th == 0 { // the serial entry point
					MatMulSerial(got, in, w, bias, rows, inDim, outDim)
				} else {
					SetThreads(th)
					MatMul(got, in, w, bias, rows, inDim, outDim)
				}
				for i := range want {
					tol := 1e-4 * (1 + math.Sqrt(float64(inDim)))
					if math.Abs(float64(got[i]-want[i])) > tol {
						t.Fatalf("shape %v threads %d kernel %s: out[%d] = %v, want %v", sh, th, Kernel, i, got[i], want[i])
					}
				}
			}
		}
	}
	SetThreads(2)
}

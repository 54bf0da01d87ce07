package matmul

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Attend over a strided cache equals a float64 softmax-weighted sum.
func TestAttendMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const d, stride, off, n = 16, 40, 8, 37
	q := make([]float32, d)
	k, v := make([]float32, n*stride), make([]float32, n*stride)
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	for i := range k {
		k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	scale := float32(0.25)
	for _, dot := range []func(a, b []float32) float32{Dot, DotFixed} {
		o := make([]float32, d)
		Attend(o, q, k, v, stride, off, n, scale, make([]float32, n+5), dot)
		s := make([]float64, n)
		maxv, sum := math.Inf(-1), 0.0
		for j := range s {
			for i := 0; i < d; i++ {
				s[j] += float64(q[i]) * float64(k[j*stride+off+i])
			}
			s[j] *= float64(scale)
			maxv = math.Max(maxv, s[j])
		}
		for j := range s {
			s[j] = math.Exp(s[j] - maxv)
			sum += s[j]
		}
		for i := 0; i < d; i++ {
			var want float64
			for j := range s {
				want += s[j] / sum * float64(v[j*stride+off+i])
			}
			assert.InDelta(t, want, o[i], 1e-5, "output %d", i)
		}
	}
}

// Parallel covers [0, n) exactly once, in contiguous ranges.
func TestParallelCoversTheRange(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		seen := make([]atomic.Int32, n)
		Parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			assert.EqualValues(t, 1, seen[i].Load(), "n=%d index %d", n, i)
		}
	}
}

// AttendFixed gives Attend with DotFixed bit for bit: its vector scores
// sum as DotFixed does, and the weighted values round as the Go loop.
func TestAttendFixedEqualsDotFixed(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, d := range []int{4, 12, 64, 128, 6} {
		for _, n := range []int{1, 3, 4, 5, 8, 37} {
			stride, off := 2*d+8, d+4
			q := randSlice(r, d)
			k, v := randSlice(r, n*stride), randSlice(r, n*stride)
			const scale = float32(0.125)
			want, got := make([]float32, d), make([]float32, d)
			Attend(want, q, k, v, stride, off, n, scale, make([]float32, n), DotFixed)
			AttendFixed(got, q, k, v, stride, off, n, scale, make([]float32, n+3))
			assert.Equal(t, want, got, "d=%d n=%d", d, n)
			sc := make([]float32, n)
			scoresFixed(sc, q, k, stride, off, scale)
			for j := range sc {
				assert.Equal(t, DotFixed(q, k[j*stride+off:j*stride+off+d])*scale, sc[j], "d=%d n=%d score %d", d, n, j)
			}
		}
	}
	o, o2 := randSlice(r, 29), make([]float32, 29)
	copy(o2, o)
	vv := randSlice(r, 29)
	axpy(o, vv, 0.3)
	axpyGo(o2, vv, 0.3)
	assert.Equal(t, o2, o, "axpy")
}

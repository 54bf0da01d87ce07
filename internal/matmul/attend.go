package matmul

import (
	"math"
	"sync"
)

// Attend writes into o one query's attention over the first n cached
// positions: key j is k[j·stride+off:][:len(q)], value j is
// v[j·stride+off:][:len(o)], the scores dot(q, key)·scale go through a
// softmax, and o is the weighted sum of the values. It reads the cache in
// place. sc (at least n long) is scratch. dot is Dot, or DotFixed where
// the summation order must not depend on the machine (AttendFixed is that
// case in vector code).
func Attend(o, q, k, v []float32, stride, off, n int, scale float32, sc []float32, dot func(a, b []float32) float32) {
	d := len(q)
	sc = sc[:n]
	for j := range sc {
		sc[j] = dot(q, k[j*stride+off:j*stride+off+d]) * scale
	}
	weighValues(o, v, stride, off, sc)
}

// AttendFixed is Attend with DotFixed, the scores computed in vector code
// that sums as DotFixed does: the same result bit for bit.
func AttendFixed(o, q, k, v []float32, stride, off, n int, scale float32, sc []float32) {
	sc = sc[:n]
	_ = k[(n-1)*stride+off+len(q)-1]
	scoresFixed(sc, q, k, stride, off, scale)
	weighValues(o, v, stride, off, sc)
}

// weighValues turns the scores in sc into softmax weights and writes into
// o the weighted sum of the values.
func weighValues(o, v []float32, stride, off int, sc []float32) {
	inv := 1 / SoftmaxExp(sc)
	clear(o)
	for j, s := range sc {
		axpy(o, v[j*stride+off:j*stride+off+len(o)], s*inv)
	}
}

var (
	axpy        = axpyGo
	scoresFixed = scoresFixedGo
)

// axpyGo is o += w·v.
func axpyGo(o, v []float32, w float32) {
	v = v[:len(o)]
	for i := range o {
		o[i] += w * v[i]
	}
}

// scoresFixedGo sets sc[j] = DotFixed(q, key j)·scale.
func scoresFixedGo(sc, q, k []float32, stride, off int, scale float32) {
	d := len(q)
	for j := range sc {
		sc[j] = dotGo(q, k[j*stride+off:j*stride+off+d]) * scale
	}
}

// SoftmaxExp replaces x by exp(x - max x) and returns their sum: a
// softmax's numerators and denominator, kept apart so that callers can
// fold the division into what they do next.
func SoftmaxExp(x []float32) float32 {
	maxv := float32(math.Inf(-1))
	for _, v := range x {
		maxv = max(maxv, v)
	}
	expSub(x, maxv)
	var sum float32
	for _, e := range x {
		sum += e
	}
	return sum
}

// expSub sets x[i] = e^(x[i]-m): with AVX2, eight lanes at a time with the
// single-precision e^x of SwiGLU (which ggml's AVX2 softmax uses too); in
// pure Go, and for the last values, with math.Exp.
var expSub = expSubGo

func expSubGo(x []float32, m float32) {
	for j, v := range x {
		x[j] = float32(math.Exp(float64(v - m)))
	}
}

// Parallel runs f over [0, n) split into up to Threads() contiguous
// ranges, one goroutine each, and waits for them.
func Parallel(n int, f func(lo, hi int)) { ParallelRanges(n, rangeFunc(f)) }

// Ranger is work over a range of indices, for ParallelRanges.
type Ranger interface {
	Range(lo, hi int)
}

type rangeFunc func(lo, hi int)

func (f rangeFunc) Range(lo, hi int) { f(lo, hi) }

// ParallelRanges runs r over [0, n) split into up to Threads() contiguous
// ranges, one goroutine each, and waits for them.
//
// It allocates nothing itself (the decode loop calls it several times a
// layer; a pointer to a pooled struct as r allocates nothing either, where
// a closure handed to Parallel is allocated when it captures variables):
// the ranges travel by value through a channel to goroutines started
// without captured variables, each of which runs exactly one range and
// ends, and the WaitGroup is pooled. Which goroutine runs which call's
// range does not matter; every range has its goroutine.
func ParallelRanges(n int, r Ranger) {
	workers := min(Threads(), n)
	if workers <= 1 {
		r.Range(0, n)
		return
	}
	wg := waitGroups.Get().(*sync.WaitGroup)
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		shares <- share{r: r, lo: lo, hi: min(lo+per, n), wg: wg}
		go runShare()
	}
	wg.Wait()
	waitGroups.Put(wg)
}

// share is one range of a Parallel call.
type share struct {
	r      Ranger
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	// shares holds the ranges sent and not yet taken: a send that finds it
	// full waits for the goroutines already started for the ranges in it.
	shares     = make(chan share, 64)
	waitGroups = sync.Pool{New: func() any { return new(sync.WaitGroup) }}
)

// runShare runs one range and ends.
func runShare() {
	s := <-shares
	s.r.Range(s.lo, s.hi)
	s.wg.Done()
}

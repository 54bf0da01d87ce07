package llama

import (
	"math"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/internal/bufs"
)

// The work of a forward pass handed to matmul.ParallelRanges: each is a
// struct with a Range method, from a pool, so that a decode step does not
// allocate a closure for every multiplication (a closure that captures
// variables and goes to other goroutines is allocated at every call).

// run runs j over [0, n): in the calling goroutine when serial, else
// split across threads.
func run(n int, serial bool, j matmul.Ranger) {
	if serial {
		j.Range(0, n)
		return
	}
	matmul.ParallelRanges(n, j)
}

// interleavedJob is mulInterleaved's work: groups of k.rows weight rows
// against T quantized input rows (aq, ab bytes each, nb blocks).
type interleavedJob struct {
	l         *linear
	k         interleaved
	out       []float32
	aq        []byte
	T, nb, ab int
}

var interleavedJobs bufs.Objects[interleavedJob]

func (j *interleavedJob) Range(lo, hi int) {
	l, k, out, aq, ab, nb := j.l, j.k, j.out, j.aq, j.ab, j.nb
	gb := nb * k.block
	for g := lo; g < hi; g++ {
		w := l.packed[g*gb : (g+1)*gb]
		t := 0
		for ; t+8 <= j.T && k.eight != nil; t += 8 {
			k.eight(out[t*l.rows+k.rows*g:], l.rows, w, aq[t*ab:(t+8)*ab], ab, nb)
		}
		for ; t+4 <= j.T; t += 4 {
			k.four(out[t*l.rows+k.rows*g:], l.rows, w, aq[t*ab:(t+4)*ab], ab, nb)
		}
		for ; t < j.T; t++ {
			k.one(out[t*l.rows+k.rows*g:], w, aq[t*ab:(t+1)*ab], nb)
		}
	}
}

// q4KJob is mulQ4_Kx8's work: groups of eight Q4_K rows.
type q4KJob struct {
	l         *linear
	out       []float32
	aq        []byte
	T, nb, ab int
}

var q4KJobs bufs.Objects[q4KJob]

func (j *q4KJob) Range(lo, hi int) {
	l, out, aq, ab, nb := j.l, j.out, j.aq, j.ab, j.nb
	gb := nb * matmul.Q4_Kx8Block
	t4 := j.T &^ 3
	for g := lo; g < hi; g++ {
		w := l.packedK[g*gb : (g+1)*gb]
		for t := 0; t < t4; t += 4 {
			matmul.DotQ4_Kx8x4(out[t*l.rows+8*g:], l.rows, w, aq[t*ab:(t+4)*ab], ab, nb)
		}
		for t := t4; t < j.T; t++ {
			matmul.DotQ4_Kx8(out[t*l.rows+8*g:], w, aq[t*ab:(t+1)*ab], nb)
		}
	}
}

// quantJob is mulQuant's work: shares of per weight rows, each row against
// every input row in the type's one-row kernel (dot, or the K-quants' dotK
// with their rounding), four input rows a call where dotT4 is set.
type quantJob struct {
	l         *linear
	out       []float32
	aq        []byte
	T, nb, ab int
	per       int
	dot       func(w, a []byte, nb int) float32
	dotK      func(w, a []byte, nb int, pairwise bool) float32
	pairwise  bool
	dotT4     func(out *[4]float32, w, a []byte, astride, nb int)
}

var quantJobs bufs.Objects[quantJob]

func (j *quantJob) Range(lo, hi int) {
	l, out, aq, ab, nb, T := j.l, j.out, j.aq, j.ab, j.nb, j.T
	var four [4]float32
	for o := lo * j.per; o < min(hi*j.per, l.rows); o++ {
		w := l.data[o*l.rowBytes : (o+1)*l.rowBytes]
		t := 0
		// Four input rows per call share each weight block's unpacking
		// (the K-quants).
		for ; t+4 <= T && j.dotT4 != nil; t += 4 {
			j.dotT4(&four, w, aq[t*ab:(t+4)*ab], ab, nb)
			for k, v := range four {
				out[(t+k)*l.rows+o] = v
			}
		}
		for ; t < T; t++ {
			a := aq[t*ab : (t+1)*ab]
			if j.dotK != nil {
				out[t*l.rows+o] = j.dotK(w, a, nb, j.pairwise)
			} else {
				out[t*l.rows+o] = j.dot(w, a, nb)
			}
		}
	}
}

// convertJob is the F16/BF16 work: stripes of rows converted to float32
// in per-worker scratch and multiplied there.
type convertJob struct {
	l       *linear
	out, in []float32
	T       int
}

var convertJobs bufs.Objects[convertJob]

func (j *convertJob) Range(first, last int) {
	l := j.l
	sp := scratchPool.Get().(*[]float32)
	if cap(*sp) < stripeRows*l.cols {
		*sp = make([]float32, stripeRows*l.cols)
	}
	buf := (*sp)[:stripeRows*l.cols]
	for s := first; s < last; s++ {
		lo, hi := s*stripeRows, min((s+1)*stripeRows, l.rows)
		_ = gguf.Dequantize(l.typ, buf[:(hi-lo)*l.cols], l.data[lo*l.rowBytes:hi*l.rowBytes])
		matmul.Columns(j.out, j.in, buf, j.T, l.cols, l.rows, lo, hi)
	}
	scratchPool.Put(sp)
}

// attendJob is a layer's per-sequence work after the q, k and v
// projections: RoPE on the sequence's rows, its keys and values appended
// to its cache, and its attention.
type attendJob struct {
	m            *Model
	li           int
	segs         []segment
	starts       []int
	rot          []float64
	q, k, v, att []float32
}

var attendJobs bufs.Objects[attendJob]

func (j *attendJob) Range(lo, hi int) {
	m, li := j.m, j.li
	c := m.Config
	hd, rd := c.HeadDim, c.RopeDim
	qDim, kvDim := c.Heads*hd, c.KVHeads*hd
	q, k, v := j.q, j.k, j.v
	for i := lo; i < hi; i++ {
		row := j.starts[i]
		s, gT := j.segs[i].s, len(j.segs[i].tokens)
		for t := 0; t < gT; t++ {
			r := row + t
			rot := j.rot[r*rd : (r+1)*rd]
			for h := 0; h < c.Heads; h++ {
				m.rope(q[r*qDim+h*hd:r*qDim+(h+1)*hd], rot)
			}
			for h := 0; h < c.KVHeads; h++ {
				m.rope(k[r*kvDim+h*hd:r*kvDim+(h+1)*hd], rot)
			}
		}
		s.k[li] = bufs.Grow(s.k[li], k[row*kvDim:(row+gT)*kvDim], c.Context*kvDim)
		s.v[li] = bufs.Grow(s.v[li], v[row*kvDim:(row+gT)*kvDim], c.Context*kvDim)
		m.attention(j.att[row*qDim:(row+gT)*qDim], q[row*qDim:(row+gT)*qDim], s.k[li], s.v[li], s.n, gT)
	}
}

// headsJob is attention's work: causal grouped-query attention of the T
// new queries (positions pos..pos+T-1) against the cache, heads lo..hi.
type headsJob struct {
	m              *Model
	out, q, kc, vc []float32
	pos, T         int
}

var headsJobs bufs.Objects[headsJob]

func (j *headsJob) Range(lo, hi int) {
	c := j.m.Config
	hd, qDim, kvDim := c.HeadDim, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	n := j.pos + j.T
	scb := scoreBufs.Get(n)
	defer scoreBufs.Put(scb)
	sc := *scb
	for h := lo; h < hi; h++ {
		kvh := h / group
		for t := 0; t < j.T; t++ {
			// Fixed-order scores (DotFixed's, in vector code): in a
			// random-weight network one score rounding differently
			// spreads through every later layer, which the llama.cpp
			// comparison would see.
			matmul.AttendFixed(j.out[t*qDim+h*hd:t*qDim+(h+1)*hd], j.q[t*qDim+h*hd:t*qDim+(h+1)*hd], j.kc, j.vc,
				kvDim, kvh*hd, j.pos+t+1, scale, sc)
		}
	}
}

// swigluJob is the feed-forward activation of rows lo..hi of gate and up.
type swigluJob struct {
	gate, up []float32
	ff       int
}

var swigluJobs bufs.Objects[swigluJob]

func (j *swigluJob) Range(lo, hi int) {
	matmul.SwiGLU(j.gate[lo*j.ff:hi*j.ff], j.up[lo*j.ff:hi*j.ff])
}

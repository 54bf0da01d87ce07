// Package matmul is the local runtime's compute core: out = in · Wᵀ + b
// with W stored row-major as [outDim][inDim] (llm.c's layout), so every
// output is a dot product of two contiguous rows. All the model's time goes
// here; it is isolated so it can be benchmarked and tuned alone.
//
// The prefill case (many input rows) is register-blocked: each step computes
// a 3x4 block of outputs, reading each input row once for four weight rows
// and each weight row once for three input rows; on amd64 with AVX2 and FMA
// that block is one assembly kernel (kernels_amd64.s) whose twelve vector
// accumulators, three input registers and one weight register use all
// sixteen YMM registers (on ZMM registers where the CPU has AVX-512). The
// decode case (one input row) is a matrix-vector product limited by memory
// bandwidth. Both split the output dimension across goroutines.
//
// Quantized weights (quant.go, quantk.go, and the interleaved layouts of
// q4x8.go, q8x8.go, q4kx8.go and x16.go) multiply in integer arithmetic
// against activations quantized per block, with AVX2 kernels and, where
// CPUID reports AVX-512 VNNI, kernels that give the same results faster.
package matmul

import (
	"runtime"
	"sync"
)

// MatMul computes out[t][o] = bias[o] + Σc in[t][c]·w[o][c] for t < rows,
// o < outDim. in is rows×inDim, w is outDim×inDim, out is rows×outDim;
// bias may be nil. It uses up to Threads goroutines.
func MatMul(out, in, w, bias []float32, rows, inDim, outDim int) {
	if !shapesFit(out, in, w, rows, inDim, outDim) {
		return
	}
	threads := Threads()
	// Split the output columns into per-thread stripes (multiples of 4).
	stripes := min(threads, (outDim+3)/4)
	if rows*outDim*inDim < 1<<16 {
		stripes = 1 // not worth a goroutine
	}
	if stripes <= 1 {
		kernel(out, in, w, bias, rows, inDim, outDim, 0, outDim, 0)
		return
	}
	j := matMulJobs.Get().(*matMulJob)
	*j = matMulJob{out, in, w, bias, rows, inDim, outDim, ((outDim+stripes-1)/stripes + 3) &^ 3}
	ParallelRanges((outDim+j.per-1)/j.per, j)
	*j = matMulJob{}
	matMulJobs.Put(j)
}

// matMulJob is MatMul's work, stripes of per output columns, from a pool
// so that a call allocates nothing.
type matMulJob struct {
	out, in, w, bias         []float32
	rows, inDim, outDim, per int
}

var matMulJobs = sync.Pool{New: func() any { return new(matMulJob) }}

func (j *matMulJob) Range(s0, s1 int) {
	for s := s0; s < s1; s++ {
		kernel(j.out, j.in, j.w, j.bias, j.rows, j.inDim, j.outDim, s*j.per, min((s+1)*j.per, j.outDim), 0)
	}
}

// MatMulSerial is MatMul in the calling goroutine, for callers that
// parallelise over many small products themselves (attention heads).
func MatMulSerial(out, in, w, bias []float32, rows, inDim, outDim int) {
	if shapesFit(out, in, w, rows, inDim, outDim) {
		kernel(out, in, w, bias, rows, inDim, outDim, 0, outDim, 0)
	}
}

// shapesFit reports whether there is work, and panics (an index out of
// range, before any goroutine starts) if a slice is too short for it.
func shapesFit(out, in, w []float32, rows, inDim, outDim int) bool {
	if rows == 0 || outDim == 0 {
		return false
	}
	_ = out[rows*outDim-1]
	_ = in[rows*inDim-1]
	_ = w[outDim*inDim-1]
	return true
}

var threads = runtime.GOMAXPROCS(0)

// Threads is the goroutine count used (GOMAXPROCS at start, or SetThreads).
func Threads() int { return threads }

// SetThreads sets the goroutine count (at least 1); for benchmarks.
func SetThreads(n int) { threads = max(n, 1) }

var kernelSums = sync.Pool{New: func() any { return new([16]float32) }}

// blockRows is how many input rows a stripe processes before moving to the
// next group of weight rows: the weight rows of a group stay in L1/L2 while
// the input rows stream past.
const blockRows = 64

// Columns computes output columns [lo, hi) of out (rows×outDim) from w
// holding only those hi-lo weight rows, in the calling goroutine: for
// callers that produce weight rows a stripe at a time (dequantizing them).
func Columns(out, in, w []float32, rows, inDim, outDim, lo, hi int) {
	if rows == 0 || hi <= lo {
		return
	}
	_ = out[(rows-1)*outDim+hi-1]
	_ = in[rows*inDim-1]
	_ = w[(hi-lo)*inDim-1]
	kernel(out, in, w, nil, rows, inDim, outDim, lo, hi, lo)
}

// kernel computes output columns [lo, hi) for all rows; weight row o is at
// w[(o-wBase)*inDim].
func kernel(out, in, w, bias []float32, rows, inDim, outDim, lo, hi, wBase int) {
	// The kernels' sums, from a pool: passed to a kernel through a
	// function variable they escape, so declared here they would be
	// allocated every call, and inside the loops every four columns.
	sums := kernelSums.Get().(*[16]float32)
	defer kernelSums.Put(sums)
	s, s4 := (*[12]float32)(sums[:12]), (*[4]float32)(sums[12:])
	for r0 := 0; r0 < rows; r0 += blockRows {
		r1 := min(r0+blockRows, rows)
		o := lo
		for ; o+4 <= hi; o += 4 {
			wo := o - wBase
			w0 := w[wo*inDim : (wo+1)*inDim]
			w1 := w[(wo+1)*inDim : (wo+2)*inDim]
			w2 := w[(wo+2)*inDim : (wo+3)*inDim]
			w3 := w[(wo+3)*inDim : (wo+4)*inDim]
			var b0, b1, b2, b3 float32
			if bias != nil {
				b0, b1, b2, b3 = bias[o], bias[o+1], bias[o+2], bias[o+3]
			}
			r := r0
			for ; r+3 <= r1; r += 3 {
				dot3x4(s, in[r*inDim:(r+1)*inDim], in[(r+1)*inDim:(r+2)*inDim], in[(r+2)*inDim:(r+3)*inDim], w0, w1, w2, w3)
				for k := 0; k < 3; k++ {
					ok := out[(r+k)*outDim+o : (r+k)*outDim+o+4]
					ok[0], ok[1], ok[2], ok[3] = s[4*k]+b0, s[4*k+1]+b1, s[4*k+2]+b2, s[4*k+3]+b3
				}
			}
			for ; r < r1; r++ {
				x := in[r*inDim : (r+1)*inDim]
				dot1x4(s4, x, w0, w1, w2, w3)
				oa := out[r*outDim+o : r*outDim+o+4]
				oa[0], oa[1], oa[2], oa[3] = s4[0]+b0, s4[1]+b1, s4[2]+b2, s4[3]+b3
			}
		}
		for ; o < hi; o++ {
			wo := w[(o-wBase)*inDim : (o-wBase+1)*inDim]
			var b float32
			if bias != nil {
				b = bias[o]
			}
			for r := r0; r < r1; r++ {
				out[r*outDim+o] = Dot(in[r*inDim:(r+1)*inDim], wo) + b
			}
		}
	}
}

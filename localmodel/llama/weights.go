package llama

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/internal/bufs"
)

// linear is a weight matrix of rows×cols (ggml: ne0 = cols, ne1 = rows) in
// any supported tensor type, viewed in the memory-mapped file. F32 weights
// go straight to the matmul core; the quantized types multiply in integer
// arithmetic against quantized activations (mulQuant); F16 and BF16 are
// converted a stripe of rows at a time into per-worker scratch and
// multiplied there.
type linear struct {
	name       string
	typ        gguf.Type
	rows, cols int
	data       []byte
	f32        []float32 // set for aligned F32 data
	rowBytes   int
	// packed holds Q4_0, Q8_0 or Q5_0 weights' first rows interleaved
	// eight at a time (matmul.RepackQ4_0x8, RepackQ8_0x8, RepackQ5_0x8),
	// or sixteen where the CPU runs the sixteen-row kernels
	// (matmul.Wide), made at load: decode and prompts then run llama.cpp's
	// repacked kernels' arithmetic at several times the speed of one row
	// at a time. The file's rows stay for lookups and the remaining rows.
	packed []byte
	packer interleaved // packed's layout and kernels
	// packedK holds Q4_K weights' first rows/8·8 rows interleaved eight
	// at a time (matmul.RepackQ4_Kx8).
	packedK []byte
}

func newLinear(name string, t *gguf.TensorInfo, data []byte) (*linear, error) {
	if len(t.Dims) > 2 && t.Dims[2] != 1 || len(t.Dims) > 3 && t.Dims[3] != 1 {
		return nil, fmt.Errorf("tensor %s: shape %v is not a matrix", name, t.Dims)
	}
	if !t.Type.Supported() {
		return nil, fmt.Errorf("tensor %s: type %s is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K are)", name, t.Type)
	}
	rows := 1
	if len(t.Dims) > 1 {
		rows = int(t.Dims[1])
	}
	l := &linear{name: name, typ: t.Type, rows: rows, cols: int(t.Dims[0]), data: data, rowBytes: t.Type.RowBytes(int(t.Dims[0]))}
	if t.Type == gguf.F32 && len(data) > 0 && uintptr(unsafe.Pointer(&data[0]))%4 == 0 {
		l.f32 = unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), len(data)/4)
	}
	if k, ok := interleavedKernels(t.Type, rows); ok && rows >= k.rows && l.cols%32 == 0 && len(data) >= rows*l.rowBytes {
		l.packed = repack(data, rows/k.rows, k.rows, l.rowBytes, l.cols/32, k.block, k.pack)
		l.packer = k
	}
	if t.Type == gguf.Q4_K && rows >= 8 && l.cols%256 == 0 && len(data) >= rows*l.rowBytes {
		l.packedK = repack(data, rows/8, 8, l.rowBytes, l.cols/256, matmul.Q4_Kx8Block, matmul.RepackQ4_Kx8)
	}
	return l, nil
}

// repack interleaves groups of n rows of nb blocks with pack (block bytes
// a group's block), the groups split across threads.
func repack(data []byte, groups, n, rowBytes, nb, block int, pack func(dst, src []byte, stride, nb int)) []byte {
	gb := nb * block
	packed := make([]byte, groups*gb)
	matmul.Parallel(groups, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			pack(packed[g*gb:(g+1)*gb], data[g*n*rowBytes:], rowBytes, nb)
		}
	})
	return packed
}

// fuse returns one matrix whose rows are those of ls in order (q, k and v;
// gate and up), multiplied in one pass: one quantization of the input, one
// split across threads, one stream through the weights. Each row's
// arithmetic is the parts' own. It returns nil unless every part is
// interleaved alike (same type and kernels, same columns, whole groups of
// rows). The parts keep working on their rows of the fused copy, so that
// the weights are held once.
func fuse(name string, ls ...*linear) *linear {
	f := &linear{name: name, typ: ls[0].typ, cols: ls[0].cols, rowBytes: ls[0].rowBytes, packer: ls[0].packer}
	for _, l := range ls {
		whole := l.packed != nil && l.rows%l.packer.rows == 0 || l.packedK != nil && l.rows%8 == 0
		if !whole || l.typ != f.typ || l.cols != f.cols || l.packer.rows != f.packer.rows {
			return nil
		}
		f.rows += l.rows
	}
	f.packed = joinRows(ls, func(l *linear) *[]byte { return &l.packed })
	f.packedK = joinRows(ls, func(l *linear) *[]byte { return &l.packedK })
	return f
}

// joinRows concatenates the parts' interleaved buffers (field picks which)
// into one and points each part at its rows of it; nil when they have none.
func joinRows(ls []*linear, field func(*linear) *[]byte) []byte {
	n := 0
	for _, l := range ls {
		n += len(*field(l))
	}
	if n == 0 {
		return nil
	}
	all := make([]byte, 0, n) // never grows: the parts' slices stay valid
	for _, l := range ls {
		p := field(l)
		o := len(all)
		all = append(all, *p...)
		*p = all[o:len(all):len(all)]
	}
	return all
}

// row dequantizes weight row r into dst.
func (l *linear) row(dst []float32, r int) {
	if l.f32 != nil {
		copy(dst, l.f32[r*l.cols:(r+1)*l.cols])
		return
	}
	_ = gguf.Dequantize(l.typ, dst[:l.cols], l.data[r*l.rowBytes:(r+1)*l.rowBytes])
}

// stripeRows is how many weight rows a worker dequantizes at once.
const stripeRows = 16

var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// mul computes out[t][o] = Σc in[t][c]·W[o][c] for T input rows.
func (l *linear) mul(out, in []float32, T int) {
	if l.f32 != nil {
		matmul.MatMul(out, in, l.f32, nil, T, l.cols, l.rows)
		return
	}
	if l.packed != nil {
		l.mulInterleaved(l.packer, out, in, T)
		return
	}
	if l.packedK != nil {
		l.mulQ4_Kx8(out, in, T)
		return
	}
	switch l.typ {
	case gguf.Q8_0, gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K:
		l.mulQuant(out, in, T)
		return
	}
	in = roundActivations(l.typ, in[:T*l.cols])
	stripes := (l.rows + stripeRows - 1) / stripeRows
	j := convertJobs.Get()
	*j = convertJob{l: l, out: out, in: in, T: T}
	run(stripes, T*l.rows*l.cols < 1<<15, j)
	convertJobs.Put(j)
}

// mulQuant multiplies quantized weights in integer arithmetic, as ggml
// does: each input row is quantized to 8-bit blocks once (Q8_0, Q8_1 or
// Q8_K, as the weight type pairs), then every weight row's blocks meet it
// in the block dot kernel. Rows are split across threads.
func (l *linear) mulQuant(out, in []float32, T int) {
	nb := l.cols / 32
	// Q4_1 and Q5_1 meet Q8_1 activations (with block sums), the
	// K-quants Q8_K (256 a block), the others Q8_0.
	ablock, quantize := matmul.Q8_0Block, matmul.QuantizeQ8_0
	var dot func(w, a []byte, nb int) float32
	var dotT4 func(out *[4]float32, w, a []byte, astride, nb int)
	var kdotPairwise func(w, a []byte, nb int, pairwise bool) float32
	pairwise := false
	switch l.typ {
	case gguf.Q8_0: // matrices of fewer than eight rows (not interleaved)
		dot = matmul.DotQ8_0
	case gguf.Q4_0:
		dot = matmul.DotQ4_0
	case gguf.Q5_0:
		dot = matmul.DotQ5_0
	case gguf.Q4_1:
		dot, ablock, quantize = matmul.DotQ4_1, matmul.Q8_1Block, matmul.QuantizeQ8_1
	case gguf.Q5_1:
		dot, ablock, quantize = matmul.DotQ5_1, matmul.Q8_1Block, matmul.QuantizeQ8_1
	case gguf.Q4_K, gguf.Q5_K, gguf.Q6_K:
		kdot, kdotT4 := matmul.DotQ4_K, matmul.DotQ4_Kx4
		switch l.typ {
		case gguf.Q5_K:
			kdot, kdotT4 = matmul.DotQ5_K, matmul.DotQ5_Kx4
		case gguf.Q6_K:
			kdot, kdotT4 = matmul.DotQ6_K, matmul.DotQ6_Kx4
		}
		// A prompt's rows meet the weights as llama.cpp's gemm rounds them,
		// one token as its gemv does (see matmul.DotQ4_K).
		kdotPairwise, pairwise = kdot, T > 1
		dotT4 = kdotT4
		ablock, quantize, nb = matmul.Q8_KBlock, matmul.QuantizeQ8_K, l.cols/256
	}
	ab := nb * ablock
	aqb := activationBufs.Get(T * ab)
	defer activationBufs.Put(aqb)
	aq := *aqb
	for t := 0; t < T; t++ {
		quantize(aq[t*ab:(t+1)*ab], in[t*l.cols:(t+1)*l.cols])
	}
	j := quantJobs.Get()
	*j = quantJob{l: l, out: out, aq: aq, T: T, nb: nb, ab: ab, dot: dot, dotK: kdotPairwise, pairwise: pairwise, dotT4: dotT4}
	workers := min(matmul.Threads(), l.rows/64)
	if T*l.rows*l.cols < 1<<15 || workers <= 1 {
		j.per = l.rows
		j.Range(0, 1)
	} else {
		j.per = (l.rows + workers - 1) / workers
		matmul.ParallelRanges(workers, j)
	}
	quantJobs.Put(j)
}

// interleaved names the kernels of a type whose rows are interleaved
// rows at a time.
type interleaved struct {
	rows  int // 8 or 16
	block int // bytes of the rows' block
	pack  func(dst, src []byte, stride, nb int)
	one   func(out []float32, w, a []byte, nb int)
	four  func(out []float32, ostride int, w, a []byte, astride, nb int)
	row   func(w, a []byte, nb int) float32                              // one row of the file, Q8_0 activations
	eight func(out []float32, ostride int, w, a []byte, astride, nb int) // eight tokens (nil: four twice)
}

// Q5_0 (what Q4_K_M files hold where a row is not a multiple of 256, as in
// most of Qwen2.5-0.5B's) is interleaved as Q8_0 blocks of q-16.
var (
	q4_0x8  = interleaved{8, matmul.Q4_0x8Block, matmul.RepackQ4_0x8, matmul.DotQ4_0x8, matmul.DotQ4_0x8x4, matmul.DotQ4_0, nil}
	q8_0x8  = interleaved{8, matmul.Q8_0x8Block, matmul.RepackQ8_0x8, matmul.DotQ8_0x8, matmul.DotQ8_0x8x4, matmul.DotQ8_0, nil}
	q5_0x8  = interleaved{8, matmul.Q8_0x8Block, matmul.RepackQ5_0x8, matmul.DotQ8_0x8, matmul.DotQ8_0x8x4, matmul.DotQ5_0, nil}
	q4_0x16 = interleaved{16, matmul.Q4_0x16Block, matmul.RepackQ4_0x16, matmul.DotQ4_0x16, matmul.DotQ4_0x16x4, matmul.DotQ4_0, matmul.DotQ4_0x16x8}
	q8_0x16 = interleaved{16, matmul.Q8_0x16Block, matmul.RepackQ8_0x16, matmul.DotQ8_0x16, matmul.DotQ8_0x16x4, matmul.DotQ8_0, matmul.DotQ8_0x16x8}
	q5_0x16 = interleaved{16, matmul.Q8_0x16Block, matmul.RepackQ5_0x16, matmul.DotQ8_0x16, matmul.DotQ8_0x16x4, matmul.DotQ5_0, matmul.DotQ8_0x16x8}
)

// interleavedKernels returns the interleaved kernels of typ for a matrix
// of rows rows: sixteen rows a group where the CPU runs those as vector
// code (matmul.Wide), else eight. A matrix whose rows leave a group of
// eight past the last sixteen keeps eight (llama.cpp repacks eight, and
// those rows would otherwise round as its one-row kernels).
func interleavedKernels(typ gguf.Type, rows int) (interleaved, bool) {
	sets, ok := interleavedSets[typ]
	if !ok {
		return interleaved{}, false
	}
	if matmul.Wide() && rows%16 < 8 {
		return sets[1], true
	}
	return sets[0], true
}

var interleavedSets = map[gguf.Type][2]interleaved{
	gguf.Q4_0: {q4_0x8, q4_0x16},
	gguf.Q8_0: {q8_0x8, q8_0x16},
	gguf.Q5_0: {q5_0x8, q5_0x16},
}

// mulInterleaved multiplies Q4_0, Q8_0 or Q5_0 weights through their
// interleaved copy: k.rows rows at a time, four input rows at a time
// where there are four (each weight block unpacked once for the four).
// Rows past the last group go through the file's rows one at a time.
func (l *linear) mulInterleaved(k interleaved, out, in []float32, T int) {
	nb := l.cols / 32
	ab := nb * matmul.Q8_0SBlock
	aqb := activationBufs.Get(T * ab)
	defer activationBufs.Put(aqb)
	aq := *aqb
	matmul.QuantizeQ8_0S(aq, in[:T*l.cols])
	groups := l.rows / k.rows
	j := interleavedJobs.Get()
	*j = interleavedJob{l: l, k: k, out: out, aq: aq, T: T, nb: nb, ab: ab}
	run(groups, T*l.rows*l.cols < 1<<15, j)
	interleavedJobs.Put(j)
	if rest := l.rows - k.rows*groups; rest > 0 {
		a8b := activationBufs.Get(nb * matmul.Q8_0Block)
		defer activationBufs.Put(a8b)
		a8 := *a8b
		for t := 0; t < T; t++ {
			matmul.QuantizeQ8_0(a8, in[t*l.cols:(t+1)*l.cols])
			for o := k.rows * groups; o < l.rows; o++ {
				out[t*l.rows+o] = k.row(l.data[o*l.rowBytes:(o+1)*l.rowBytes], a8, nb)
			}
		}
	}
}

// mulQ4_Kx8 multiplies Q4_K weights through their interleaved copy,
// eight rows a call: four tokens at a time rounded as llama.cpp's gemm,
// the tokens left over one at a time as its gemv (as llama.cpp splits a
// batch). Rows past the last group of eight go through the one-row
// kernel, rounded the same way.
func (l *linear) mulQ4_Kx8(out, in []float32, T int) {
	nb := l.cols / 256
	ab := nb * matmul.Q8_KBlock
	aqb := activationBufs.Get(T * ab)
	defer activationBufs.Put(aqb)
	aq := *aqb
	for t := 0; t < T; t++ {
		matmul.QuantizeQ8_K(aq[t*ab:(t+1)*ab], in[t*l.cols:(t+1)*l.cols])
	}
	groups := l.rows / 8
	t4 := T &^ 3
	j := q4KJobs.Get()
	*j = q4KJob{l: l, out: out, aq: aq, T: T, nb: nb, ab: ab}
	run(groups, T*l.rows*l.cols < 1<<15, j)
	q4KJobs.Put(j)
	for o := 8 * groups; o < l.rows; o++ {
		for t := 0; t < T; t++ {
			out[t*l.rows+o] = matmul.DotQ4_K(l.data[o*l.rowBytes:(o+1)*l.rowBytes], aq[t*ab:(t+1)*ab], nb, t < t4)
		}
	}
}

// roundActivations rounds the input the way ggml's CPU backend does before
// a dot product with F16 or BF16 weights: to half or bfloat16. Results then
// match llama.cpp's to float rounding. (Quantized weights meet activations
// quantized by mulQuant.)
func roundActivations(t gguf.Type, in []float32) []float32 {
	out := make([]float32, len(in))
	switch t {
	case gguf.F16:
		for i, v := range in {
			out[i] = gguf.HalfToFloat(gguf.FloatToHalf(v))
		}
	case gguf.BF16:
		for i, v := range in {
			out[i] = math.Float32frombits(uint32(gguf.FloatToBF16(v)) << 16)
		}
	default:
		copy(out, in)
	}
	return out
}

// activationBufs lends the quantized activations of a multiply: a decode
// step of a 24-layer model multiplies about 170 times, and each would
// otherwise allocate its own.
var activationBufs bufs.Pool[byte]

// Package llama is the Llama-family architecture for the local runtime, as
// llama.cpp runs it from GGUF files: "llama" (Llama 2 and 3.x, SmolLM2,
// TinyLlama, Mistral without sliding window), "qwen2" (QKV biases,
// NEOX-style RoPE) and "qwen3" (per-head RMSNorm of queries and keys).
//
// Each layer is x += Wo·attention(RoPE(Wq·n), RoPE(Wk·n), Wv·n) with
// n = RMSNorm(x), then x += Wdown·(SiLU(Wgate·n)·Wup·n) with n = RMSNorm(x);
// grouped-query attention shares each K/V head among Heads/KVHeads query
// heads. Hyper-parameters come from the file's metadata; weights stay in
// the memory-mapped file in their own type.
package llama

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/internal/bufs"
)

// Config is the shape and hyper-parameters of a model.
type Config struct {
	Arch          string // llama, qwen2 or qwen3
	Vocab         int
	Embd          int // n_embd
	Layers        int
	Heads         int
	KVHeads       int
	HeadDim       int // attention.key_length, default Embd/Heads
	FF            int // feed_forward_length
	Context       int // context_length
	RMSEps        float64
	RopeBase      float64
	RopeDim       int  // rope.dimension_count, default HeadDim
	NeoX          bool // rotate pairs (i, i+d/2) instead of (2i, 2i+1)
	RopeFreqScale float64
}

// MaxContext caps the context a model reports (its KV cache grows with
// use, so this is a limit, not an allocation).
const MaxContext = 32768

// Model is a loaded network (a localmodel.Network).
type Model struct {
	Config   Config
	embd     *linear // token_embd: Vocab rows of Embd
	output   *linear // output or the tied embedding
	outNorm  []float32
	layers   []layer
	ropeFreq []float32 // per rotated pair: base^(-2i/d) / freq factor
}

type layer struct {
	attnNorm, ffnNorm   []float32
	q, k, v, o          *linear
	qBias, kBias, vBias []float32
	qNorm, kNorm        []float32
	gate, up, down      *linear
	// qkv and gateUp are q, k and v, and gate and up, fused into one
	// matrix each where their weights are interleaved alike (nil
	// otherwise); the parts stay for everything else.
	qkv, gateUp *linear
}

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.Config.Vocab }

// ContextLength is the context in tokens.
func (m *Model) ContextLength() int { return m.Config.Context }

// State is one sequence's KV cache, grown as positions are added.
type State struct {
	m    *Model
	k, v [][]float32 // per layer: positions × KVHeads·HeadDim
	n    int
	// logits holds the last ForwardBatch's logits for this sequence,
	// reused from step to step (localmodel.ForwardKeepingRows).
	logits []float32
}

// NewState returns an empty sequence.
func (m *Model) NewState() localmodel.State {
	return &State{m: m, k: make([][]float32, m.Config.Layers), v: make([][]float32, m.Config.Layers)}
}

// Len is the number of tokens processed.
func (s *State) Len() int { return s.n }

// Truncate forgets the positions from n on.
func (s *State) Truncate(n int) {
	n = min(s.n, max(n, 0))
	kv := s.m.Config.KVHeads * s.m.Config.HeadDim
	for l := range s.k {
		s.k[l] = s.k[l][:n*kv]
		s.v[l] = s.v[l][:n*kv]
	}
	s.n = n
}

// Bytes is the memory the KV cache holds.
func (s *State) Bytes() int64 {
	var b int64
	for l := range s.k {
		b += int64(cap(s.k[l])+cap(s.v[l])) * 4
	}
	return b
}

// Fork returns an independent copy.
func (s *State) Fork() localmodel.State {
	f := &State{m: s.m, n: s.n, k: make([][]float32, len(s.k)), v: make([][]float32, len(s.v))}
	for l := range s.k {
		f.k[l] = append([]float32(nil), s.k[l]...)
		f.v[l] = append([]float32(nil), s.v[l]...)
	}
	return f
}

// Forward feeds tokens and returns the logits of the last position, or of
// every new position when all is set.
func (m *Model) Forward(ls localmodel.State, tokens []int32, all bool) ([]float32, error) {
	s, err := m.check(ls, tokens, 0)
	if err != nil {
		return nil, err
	}
	T := 1
	if all {
		T = len(tokens)
	}
	logits := make([]float32, T*m.Config.Vocab)
	m.forward([]segment{{s, tokens}}, all, logits)
	return logits, nil
}

// ForwardBatch feeds each sequence its tokens in one pass over the
// weights (the sequences' rows multiply together; attention stays per
// sequence) and returns each one's logits for its last position. A
// sequence's logits live in its State until its next ForwardBatch.
func (m *Model) ForwardBatch(states []localmodel.State, tokens [][]int32) ([][]float32, error) {
	ss, err := localmodel.CheckBatch("llama", states, tokens, m.check)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	segs := make([]segment, len(ss))
	for i, s := range ss {
		segs[i] = segment{s, tokens[i]}
	}
	keep := make([]*[]float32, len(ss))
	for i, s := range ss {
		keep[i] = &s.logits
	}
	return localmodel.ForwardKeepingRows(keep, m.Config.Vocab, func(flat []float32) { m.forward(segs, false, flat) }), nil
}

// scratch holds a forward pass's activations, reused across calls (every
// element is written before it is read) so that decoding a token does
// not allocate them anew.
type scratch struct {
	x, n, q, k, v, att, proj, gate, up []float32
	fused                              []float32 // a fused matrix's rows, before they are split
	starts                             []int     // each sequence's first row
	segs                               []segment
	rot                                []float64 // each row's RoPE cos and sin pairs
}

var forwardScratch = sync.Pool{New: func() any { return new(scratch) }}

// getScratch returns activation buffers for T rows.
func getScratch(T, E, qDim, kvDim, ff, rotDim int) *scratch {
	sc := forwardScratch.Get().(*scratch)
	grow := bufs.Sized[float32]
	sc.x, sc.n, sc.proj = grow(sc.x, T*E), grow(sc.n, T*E), grow(sc.proj, T*E)
	sc.q, sc.att = grow(sc.q, T*qDim), grow(sc.att, T*qDim)
	sc.k, sc.v = grow(sc.k, T*kvDim), grow(sc.v, T*kvDim)
	sc.gate, sc.up = grow(sc.gate, T*ff), grow(sc.up, T*ff)
	sc.fused = grow(sc.fused, T*max(2*ff, qDim+2*kvDim))
	sc.rot = bufs.Sized(sc.rot, T*rotDim)
	return sc
}

// segment is one sequence's new tokens in a forward pass.
type segment struct {
	s      *State
	tokens []int32
}

// check validates a sequence's state and tokens (seq numbers it in a batch).
func (m *Model) check(ls localmodel.State, tokens []int32, seq int) (*State, error) {
	s, ok := ls.(*State)
	if !ok || s.m != m {
		return nil, errors.New("llama: Forward needs a State made by this model's NewState")
	}
	c := m.Config
	T := len(tokens)
	if T == 0 {
		return nil, fmt.Errorf("llama: Forward needs at least one token (sequence %d)", seq)
	}
	if s.n+T > c.Context {
		return nil, fmt.Errorf("llama: %w: %d tokens already, %d more, limit %d", localmodel.ErrContextFull, s.n, T, c.Context)
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= c.Vocab {
			return nil, fmt.Errorf("llama: token %d at position %d is outside the vocabulary of %d", t, i, c.Vocab)
		}
	}
	return s, nil
}

// forward runs the segments' tokens as the rows of one pass and writes
// into logits those of each segment's last row, or of every row when all
// is set (one segment).
func (m *Model) forward(segs []segment, all bool, logits []float32) {
	c := m.Config
	T := 0
	for _, g := range segs {
		T += len(g.tokens)
	}
	E, hd := c.Embd, c.HeadDim
	qDim, kvDim := c.Heads*hd, c.KVHeads*hd
	sc := getScratch(T, E, qDim, kvDim, c.FF, c.RopeDim)
	defer func() {
		clear(sc.segs) // no State kept alive by the pool
		forwardScratch.Put(sc)
	}()
	x, n, q, k, v, att, proj, gate, up := sc.x, sc.n, sc.q, sc.k, sc.v, sc.att, sc.proj, sc.gate, sc.up
	row := 0
	sc.starts = bufs.Sized(sc.starts, len(segs))
	starts := sc.starts // each sequence's first row
	// The segments go to other goroutines from the scratch, so that the
	// caller's slice of them stays on its stack.
	sc.segs = append(sc.segs[:0], segs...)
	pooled := sc.segs
	rd := c.RopeDim
	for i, g := range segs {
		starts[i] = row
		for t, tok := range g.tokens {
			m.embd.row(x[row*E:(row+1)*E], int(tok))
			// The rotation at this position, once for every head and layer.
			m.ropeAngles(sc.rot[row*rd:(row+1)*rd], g.s.n+t)
			row++
		}
	}
	for li := range m.layers {
		L := &m.layers[li]
		rmsNorm(n, x, L.attnNorm, T, E, c.RMSEps)
		if L.qkv != nil {
			// One pass, then each row's q, k and v to their buffers.
			fused := sc.fused
			L.qkv.mul(fused, n, T)
			for t := 0; t < T; t++ {
				r := fused[t*(qDim+2*kvDim):]
				copy(q[t*qDim:(t+1)*qDim], r[:qDim])
				copy(k[t*kvDim:(t+1)*kvDim], r[qDim:qDim+kvDim])
				copy(v[t*kvDim:(t+1)*kvDim], r[qDim+kvDim:qDim+2*kvDim])
			}
		} else {
			L.q.mul(q, n, T)
			L.k.mul(k, n, T)
			L.v.mul(v, n, T)
		}
		addBias(q, L.qBias, T)
		addBias(k, L.kBias, T)
		addBias(v, L.vBias, T)
		if L.qNorm != nil {
			rmsNorm(q, q, L.qNorm, T*c.Heads, hd, c.RMSEps)
			rmsNorm(k, k, L.kNorm, T*c.KVHeads, hd, c.RMSEps)
		}
		// Each sequence's positions, cache and attention; the sequences
		// of a batch split across threads.
		j := attendJobs.Get()
		*j = attendJob{m: m, li: li, segs: pooled, starts: starts, rot: sc.rot, q: q, k: k, v: v, att: att}
		run(len(segs), len(segs) == 1, j)
		attendJobs.Put(j)
		L.o.mul(proj, att, T)
		addInPlace(x, proj)
		rmsNorm(n, x, L.ffnNorm, T, E, c.RMSEps)
		if L.gateUp != nil {
			fused := sc.fused
			L.gateUp.mul(fused, n, T)
			for t := 0; t < T; t++ {
				copy(gate[t*c.FF:(t+1)*c.FF], fused[2*t*c.FF:(2*t+1)*c.FF])
				copy(up[t*c.FF:(t+1)*c.FF], fused[(2*t+1)*c.FF:(2*t+2)*c.FF])
			}
		} else {
			L.gate.mul(gate, n, T)
			L.up.mul(up, n, T)
		}
		swiglu(gate, up, T, c.FF)
		L.down.mul(proj, gate, T)
		addInPlace(x, proj)
	}
	// The rows whose logits are wanted, normalised into n.
	rows := 0
	if all {
		rows = T
		rmsNorm(n, x, m.outNorm, T, E, c.RMSEps)
	} else {
		last := 0
		for _, g := range segs {
			last += len(g.tokens)
			rmsNorm(n[rows*E:], x[(last-1)*E:], m.outNorm, 1, E, c.RMSEps)
			rows++
		}
	}
	for _, g := range segs {
		g.s.n += len(g.tokens)
	}
	m.output.mul(logits[:rows*c.Vocab], n[:rows*E], rows)
}

// ropeAngles writes the cosine and sine of each rotated pair's angle
// pos·freq[i] into rot (RopeDim values: cos, sin, cos, sin, ...).
func (m *Model) ropeAngles(rot []float64, pos int) {
	for i := range m.Config.RopeDim / 2 {
		rot[2*i+1], rot[2*i] = math.Sincos(float64(pos) * float64(m.ropeFreq[i]))
	}
}

// rope rotates one head's vector by the angles of ropeAngles, as ggml
// does: pairs (2i, 2i+1), or (i, i+d/2) in NEOX mode; dimensions past
// RopeDim are left as they are.
func (m *Model) rope(x []float32, rot []float64) {
	half := m.Config.RopeDim / 2
	for i := 0; i < half; i++ {
		cos, sin := rot[2*i], rot[2*i+1]
		a, b := 2*i, 2*i+1
		if m.Config.NeoX {
			a, b = i, i+half
		}
		x0, x1 := float64(x[a]), float64(x[b])
		x[a] = float32(x0*cos - x1*sin)
		x[b] = float32(x0*sin + x1*cos)
	}
}

// attention computes causal grouped-query attention of the T new queries
// (positions pos..pos+T-1) against the cache, into out (T × Heads·HeadDim).
// Heads run in parallel.
func (m *Model) attention(out, q, kc, vc []float32, pos, T int) {
	j := headsJobs.Get()
	*j = headsJob{m: m, out: out, q: q, kc: kc, vc: vc, pos: pos, T: T}
	run(m.Config.Heads, T*(pos+T) < 256, j)
	headsJobs.Put(j)
}

// swiglu sets gate = silu(gate)·up, T rows of ff split across threads
// when there are several (a batch of sequences).
func swiglu(gate, up []float32, T, ff int) {
	if T < 4 {
		matmul.SwiGLU(gate[:T*ff], up[:T*ff])
		return
	}
	j := swigluJobs.Get()
	*j = swigluJob{gate: gate, up: up, ff: ff}
	matmul.ParallelRanges(T, j)
	swigluJobs.Put(j)
}

// rmsNorm normalises each of rows rows of x (length d) into out, scaled by
// w: x / sqrt(mean(x²) + eps) · w.
func rmsNorm(out, x, w []float32, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		row := x[r*d : (r+1)*d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		scale := float32(1 / math.Sqrt(ss/float64(d)+eps))
		o := out[r*d : (r+1)*d]
		for i, v := range row {
			o[i] = v * scale * w[i]
		}
	}
}

func addBias(x, b []float32, T int) {
	if b == nil {
		return
	}
	d := len(b)
	for t := 0; t < T; t++ {
		row := x[t*d : (t+1)*d]
		for i := range row {
			row[i] += b[i]
		}
	}
}

func addInPlace(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		x[i] += y[i]
	}
}

// scoreBufs lends attention's score rows (one per thread and call).
var scoreBufs bufs.Pool[float32]

// Package train trains GPT-2-architecture models for the local runtime: the
// backward pass of every layer (written next to llm.c's train_gpt2.c), AdamW
// with weight decay, gradient clipping, warmup + cosine learning rate, loss
// masking (train only on the tokens the model must produce), checkpoints and
// resume. With a fixed seed and thread count, a run reproduces the same
// checkpoint bit for bit.
package train

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// acts are the activations of one forward pass that the backward pass needs.
type acts struct {
	B, T                          int
	encoded                       []float32 // (B,T,C)
	ln1, ln1Mean, ln1Rstd         []float32 // (L,B,T,C), (L,B,T), (L,B,T)
	qkv, atty                     []float32 // (L,B,T,3C), (L,B,T,C)
	att                           []float32 // (L,B,NH,T,T) softmax probabilities
	attproj, residual2            []float32 // (L,B,T,C)
	ln2, ln2Mean, ln2Rstd         []float32
	fch, fchGelu                  []float32 // (L,B,T,4C)
	fcproj, residual3             []float32 // (L,B,T,C)
	lnf, lnfMean, lnfRstd, logits []float32 // (B,T,C) ... (B,T,V)
	probs                         []float32 // (B,T,V)
}

func newActs(c gpt2.Config, B, T int) *acts {
	L, C, NH, V := c.Layers, c.Channels, c.Heads, c.Vocab
	n := B * T
	f := func(k int) []float32 { return make([]float32, k) }
	return &acts{B: B, T: T, encoded: f(n * C),
		ln1: f(L * n * C), ln1Mean: f(L * n), ln1Rstd: f(L * n),
		qkv: f(L * n * 3 * C), atty: f(L * n * C), att: f(L * B * NH * T * T),
		attproj: f(L * n * C), residual2: f(L * n * C),
		ln2: f(L * n * C), ln2Mean: f(L * n), ln2Rstd: f(L * n),
		fch: f(L * n * 4 * C), fchGelu: f(L * n * 4 * C),
		fcproj: f(L * n * C), residual3: f(L * n * C),
		lnf: f(n * C), lnfMean: f(n), lnfRstd: f(n), logits: f(n * V), probs: f(n * V)}
}

// Batch is B rows of T input tokens, their targets (the next tokens) and a
// loss weight per position (0 for tokens the model should only read).
type Batch struct {
	B, T    int
	Inputs  []int32
	Targets []int32
	Weights []float32
}

// Trainer holds a model, its gradients and AdamW state.
type Trainer struct {
	Model *gpt2.Model
	// Tok is saved with checkpoints (nil: GPT-2's).
	Tok   *tokenizer.BPE
	Grads []float32
	m, v  []float32
	Step  int
	a     *acts
}

// New prepares training of m, whose checkpoints carry tok.
func New(m *gpt2.Model, tok *tokenizer.BPE) *Trainer {
	n := len(m.Flat())
	return &Trainer{Model: m, Tok: tok, Grads: make([]float32, n), m: make([]float32, n), v: make([]float32, n)}
}

func (tr *Trainer) params() gpt2.Params { return tr.Model.Params }

// grads views the gradient buffer with the parameters' layout.
func (tr *Trainer) grads() gpt2.Params {
	p, _ := tr.Model.Config.Bind(tr.Grads)
	return p
}

// Forward computes the weighted mean cross-entropy of the batch.
func (tr *Trainer) Forward(b Batch) (float64, error) {
	c := tr.Model.Config
	if b.B*b.T != len(b.Inputs) || len(b.Targets) != len(b.Inputs) || len(b.Weights) != len(b.Inputs) {
		return 0, errors.New("train: batch sizes disagree")
	}
	if b.T > c.MaxSeq {
		return 0, fmt.Errorf("train: sequence length %d exceeds the context %d", b.T, c.MaxSeq)
	}
	for i, t := range b.Inputs {
		if t < 0 || int(t) >= c.Vocab || b.Targets[i] < 0 || int(b.Targets[i]) >= c.Vocab {
			return 0, fmt.Errorf("train: token out of range at position %d", i)
		}
	}
	if tr.a == nil || tr.a.B != b.B || tr.a.T != b.T {
		tr.a = newActs(c, b.B, b.T)
	}
	a, p := tr.a, tr.params()
	B, T, C, L, NH, V := b.B, b.T, c.Channels, c.Layers, c.Heads, c.Vocab
	n := B * T
	for i, tok := range b.Inputs {
		t := i % T
		for k := 0; k < C; k++ {
			a.encoded[i*C+k] = p.WTE[int(tok)*C+k] + p.WPE[t*C+k]
		}
	}
	residual := a.encoded
	for l := 0; l < L; l++ {
		ln1 := a.ln1[l*n*C : (l+1)*n*C]
		layerNormFwd(ln1, a.ln1Mean[l*n:(l+1)*n], a.ln1Rstd[l*n:(l+1)*n], residual, p.LN1W[l*C:(l+1)*C], p.LN1B[l*C:(l+1)*C], n, C)
		qkv := a.qkv[l*n*3*C : (l+1)*n*3*C]
		matmul.MatMul(qkv, ln1, p.QKVW[l*3*C*C:(l+1)*3*C*C], p.QKVB[l*3*C:(l+1)*3*C], n, C, 3*C)
		atty := a.atty[l*n*C : (l+1)*n*C]
		attentionFwd(atty, a.att[l*B*NH*T*T:(l+1)*B*NH*T*T], qkv, B, T, C, NH)
		attproj := a.attproj[l*n*C : (l+1)*n*C]
		matmul.MatMul(attproj, atty, p.AttProjW[l*C*C:(l+1)*C*C], p.AttProjB[l*C:(l+1)*C], n, C, C)
		res2 := a.residual2[l*n*C : (l+1)*n*C]
		for i := range res2 {
			res2[i] = residual[i] + attproj[i]
		}
		ln2 := a.ln2[l*n*C : (l+1)*n*C]
		layerNormFwd(ln2, a.ln2Mean[l*n:(l+1)*n], a.ln2Rstd[l*n:(l+1)*n], res2, p.LN2W[l*C:(l+1)*C], p.LN2B[l*C:(l+1)*C], n, C)
		fch := a.fch[l*n*4*C : (l+1)*n*4*C]
		matmul.MatMul(fch, ln2, p.FCW[l*4*C*C:(l+1)*4*C*C], p.FCB[l*4*C:(l+1)*4*C], n, C, 4*C)
		fg := a.fchGelu[l*n*4*C : (l+1)*n*4*C]
		for i, x := range fch {
			fg[i] = gelu(x)
		}
		fcproj := a.fcproj[l*n*C : (l+1)*n*C]
		matmul.MatMul(fcproj, fg, p.FCProjW[l*4*C*C:(l+1)*4*C*C], p.FCProjB[l*C:(l+1)*C], n, 4*C, C)
		res3 := a.residual3[l*n*C : (l+1)*n*C]
		for i := range res3 {
			res3[i] = res2[i] + fcproj[i]
		}
		residual = res3
	}
	layerNormFwd(a.lnf, a.lnfMean, a.lnfRstd, residual, p.LNFW, p.LNFB, n, C)
	matmul.MatMul(a.logits, a.lnf, p.WTE[:V*C], nil, n, C, V)
	var loss, wsum float64
	for i := 0; i < n; i++ {
		row := a.logits[i*V : (i+1)*V]
		pr := a.probs[i*V : (i+1)*V]
		maxv := float32(math.Inf(-1))
		for _, x := range row {
			maxv = max(maxv, x)
		}
		var sum float64
		for j, x := range row {
			e := math.Exp(float64(x - maxv))
			pr[j] = float32(e)
			sum += e
		}
		for j := range pr {
			pr[j] = float32(float64(pr[j]) / sum)
		}
		if w := b.Weights[i]; w > 0 {
			loss -= float64(w) * math.Log(math.Max(float64(pr[b.Targets[i]]), 1e-30))
			wsum += float64(w)
		}
	}
	if wsum == 0 {
		return 0, errors.New("train: batch has no weighted target")
	}
	return loss / wsum, nil
}

// Backward computes the gradients of the last Forward's loss into Grads
// (overwriting them).
func (tr *Trainer) Backward(b Batch) {
	c := tr.Model.Config
	a, p := tr.a, tr.params()
	for i := range tr.Grads {
		tr.Grads[i] = 0
	}
	g := tr.grads()
	B, T, C, L, NH, V := b.B, b.T, c.Channels, c.Layers, c.Heads, c.Vocab
	n := B * T
	var wsum float64
	for _, w := range b.Weights {
		wsum += float64(w)
	}
	// dlogits = (probs - onehot) * w / Σw
	dlogits := make([]float32, n*V)
	for i := 0; i < n; i++ {
		w := float32(float64(b.Weights[i]) / wsum)
		if w == 0 {
			continue
		}
		for j := 0; j < V; j++ {
			dlogits[i*V+j] = a.probs[i*V+j] * w
		}
		dlogits[i*V+int(b.Targets[i])] -= w
	}
	dlnf := make([]float32, n*C)
	matmulBackward(dlnf, g.WTE[:V*C], nil, dlogits, a.lnf, p.WTE[:V*C], n, C, V)
	dresidual := make([]float32, n*C)
	lastRes := a.encoded
	if L > 0 {
		lastRes = a.residual3[(L-1)*n*C : L*n*C]
	}
	layerNormBwd(dresidual, g.LNFW, g.LNFB, dlnf, lastRes, p.LNFW, a.lnfMean, a.lnfRstd, n, C)
	dtmpC := make([]float32, n*C)
	dtmp4C := make([]float32, n*4*C)
	dtmp3C := make([]float32, n*3*C)
	for l := L - 1; l >= 0; l-- {
		residual := a.encoded
		if l > 0 {
			residual = a.residual3[(l-1)*n*C : l*n*C]
		}
		// dresidual is d(residual3_l); it flows to residual2 and through fcproj.
		dres3 := dresidual
		// fcproj backward
		for i := range dtmp4C {
			dtmp4C[i] = 0
		}
		matmulBackward(dtmp4C, g.FCProjW[l*4*C*C:(l+1)*4*C*C], g.FCProjB[l*C:(l+1)*C], dres3, a.fchGelu[l*n*4*C:(l+1)*n*4*C], p.FCProjW[l*4*C*C:(l+1)*4*C*C], n, 4*C, C)
		fch := a.fch[l*n*4*C : (l+1)*n*4*C]
		for i := range dtmp4C {
			dtmp4C[i] *= geluGrad(fch[i])
		}
		for i := range dtmpC {
			dtmpC[i] = 0
		}
		matmulBackward(dtmpC, g.FCW[l*4*C*C:(l+1)*4*C*C], g.FCB[l*4*C:(l+1)*4*C], dtmp4C, a.ln2[l*n*C:(l+1)*n*C], p.FCW[l*4*C*C:(l+1)*4*C*C], n, C, 4*C)
		// ln2 backward adds into dres2 (which starts as dres3: the residual path).
		dres2 := make([]float32, n*C)
		copy(dres2, dres3)
		layerNormBwd(dres2, g.LN2W[l*C:(l+1)*C], g.LN2B[l*C:(l+1)*C], dtmpC, a.residual2[l*n*C:(l+1)*n*C], p.LN2W[l*C:(l+1)*C], a.ln2Mean[l*n:(l+1)*n], a.ln2Rstd[l*n:(l+1)*n], n, C)
		// attproj backward
		for i := range dtmpC {
			dtmpC[i] = 0
		}
		matmulBackward(dtmpC, g.AttProjW[l*C*C:(l+1)*C*C], g.AttProjB[l*C:(l+1)*C], dres2, a.atty[l*n*C:(l+1)*n*C], p.AttProjW[l*C*C:(l+1)*C*C], n, C, C)
		for i := range dtmp3C {
			dtmp3C[i] = 0
		}
		attentionBwd(dtmp3C, dtmpC, a.qkv[l*n*3*C:(l+1)*n*3*C], a.att[l*B*NH*T*T:(l+1)*B*NH*T*T], B, T, C, NH)
		for i := range dtmpC {
			dtmpC[i] = 0
		}
		matmulBackward(dtmpC, g.QKVW[l*3*C*C:(l+1)*3*C*C], g.QKVB[l*3*C:(l+1)*3*C], dtmp3C, a.ln1[l*n*C:(l+1)*n*C], p.QKVW[l*3*C*C:(l+1)*3*C*C], n, C, 3*C)
		dres1 := make([]float32, n*C)
		copy(dres1, dres2)
		layerNormBwd(dres1, g.LN1W[l*C:(l+1)*C], g.LN1B[l*C:(l+1)*C], dtmpC, residual, p.LN1W[l*C:(l+1)*C], a.ln1Mean[l*n:(l+1)*n], a.ln1Rstd[l*n:(l+1)*n], n, C)
		dresidual = dres1
	}
	// Encoder: dwte[token] += d, dwpe[t] += d.
	for i, tok := range b.Inputs {
		t := i % T
		for k := 0; k < C; k++ {
			g.WTE[int(tok)*C+k] += dresidual[i*C+k]
			g.WPE[t*C+k] += dresidual[i*C+k]
		}
	}
}

// matmulBackward accumulates, for out = inp·Wᵀ + bias:
// dinp += dout·W, dW += doutᵀ·inp, dbias += Σ dout.
// Both products run on the matmul core after transposing.
func matmulBackward(dinp, dweight, dbias, dout, inp, weight []float32, n, in, out int) {
	wt := transpose(weight, out, in) // (in, out)
	tmp := make([]float32, n*in)
	matmul.MatMul(tmp, dout, wt, nil, n, out, in)
	for i := range tmp {
		dinp[i] += tmp[i]
	}
	doutT := transpose(dout, n, out) // (out, n)
	inpT := transpose(inp, n, in)    // (in, n)
	dw := make([]float32, out*in)
	matmul.MatMul(dw, doutT, inpT, nil, out, n, in)
	for i := range dw {
		dweight[i] += dw[i]
	}
	if dbias != nil {
		for o := 0; o < out; o++ {
			var s float32
			for t := 0; t < n; t++ {
				s += doutT[o*n+t]
			}
			dbias[o] += s
		}
	}
}

func transpose(x []float32, rows, cols int) []float32 {
	out := make([]float32, rows*cols)
	transposeInto(out, x, rows, cols)
	return out
}

func layerNormFwd(out, mean, rstd, x, w, b []float32, n, C int) {
	gpt2.LayerNorm(out, mean, rstd, x, w, b, n, C)
}

// layerNormBwd accumulates dinp, dw, db for out = LN(inp)·w + b.
func layerNormBwd(dinp, dw, db, dout, inp, w, mean, rstd []float32, n, C int) {
	for i := 0; i < n; i++ {
		do := dout[i*C : (i+1)*C]
		x := inp[i*C : (i+1)*C]
		m, rs := mean[i], rstd[i]
		var dnormMean, dnormNormMean float32
		for k := 0; k < C; k++ {
			norm := (x[k] - m) * rs
			dnorm := w[k] * do[k]
			dnormMean += dnorm
			dnormNormMean += dnorm * norm
		}
		dnormMean /= float32(C)
		dnormNormMean /= float32(C)
		for k := 0; k < C; k++ {
			norm := (x[k] - m) * rs
			dnorm := w[k] * do[k]
			db[k] += do[k]
			dw[k] += norm * do[k]
			dinp[i*C+k] += (dnorm - dnormMean - norm*dnormNormMean) * rs
		}
	}
}

const geluK = 0.7978845608028654 // sqrt(2/pi)

func gelu(x float32) float32 {
	u := float64(x)
	return float32(0.5 * u * (1 + math.Tanh(geluK*(u+0.044715*u*u*u))))
}

func geluGrad(x float32) float32 {
	u := float64(x)
	cube := 0.044715 * u * u * u
	th := math.Tanh(geluK * (u + cube))
	sech2 := 1 - th*th
	return float32(0.5*(1+th) + 0.5*u*sech2*geluK*(1+3*0.044715*u*u))
}

// attentionFwd: causal multi-head attention of each row b, saving the
// softmax probabilities in att (B,NH,T,T). Each (row, head) pair is three
// matrix products on the matmul core (scores = Q·Kᵀ, softmax, out = P·V)
// over gathered contiguous copies of its Q, K and V; the products run over
// the whole T×T square, masked afterwards, because the vector kernel on the
// full square beats scalar loops over the causal triangle by far.
func attentionFwd(out, att, qkv []float32, B, T, C, NH int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	overPairs(B*NH, 4*T*hs, func(pair int, buf []float32) {
		b, h := pair/NH, pair%NH
		q, k, vT, o := carve(&buf, T*hs), carve(&buf, T*hs), carve(&buf, hs*T), carve(&buf, T*hs)
		for t := 0; t < T; t++ {
			base := (b*T+t)*3*C + h*hs
			copy(q[t*hs:(t+1)*hs], qkv[base:base+hs])
			copy(k[t*hs:(t+1)*hs], qkv[base+C:base+C+hs])
			for i := 0; i < hs; i++ {
				vT[i*T+t] = qkv[base+2*C+i]
			}
		}
		p := att[pair*T*T : (pair+1)*T*T]
		matmul.MatMulSerial(p, q, k, nil, T, hs, T)
		for t := 0; t < T; t++ {
			row := p[t*T : (t+1)*T]
			maxv := float32(math.Inf(-1))
			for t2 := 0; t2 <= t; t2++ {
				row[t2] *= scale
				maxv = max(maxv, row[t2])
			}
			var sum float32
			for t2 := 0; t2 <= t; t2++ {
				row[t2] = float32(math.Exp(float64(row[t2] - maxv)))
				sum += row[t2]
			}
			inv := 1 / sum
			for t2 := 0; t2 <= t; t2++ {
				row[t2] *= inv
			}
			clear(row[t+1:])
		}
		matmul.MatMulSerial(o, p, vT, nil, T, T, hs)
		for t := 0; t < T; t++ {
			copy(out[(b*T+t)*C+h*hs:(b*T+t)*C+(h+1)*hs], o[t*hs:(t+1)*hs])
		}
	})
}

// attentionBwd accumulates dqkv from dout, per (row, head) pair with the
// same products as the forward pass: dP = dO·Vᵀ, dV = Pᵀ·dO, the softmax
// backward, then dQ = dS·K and dK = dSᵀ·Q.
func attentionBwd(dqkv, dout, qkv, att []float32, B, T, C, NH int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	overPairs(B*NH, 10*T*hs+3*T*T, func(pair int, buf []float32) {
		b, h := pair/NH, pair%NH
		q, k, v := carve(&buf, T*hs), carve(&buf, T*hs), carve(&buf, T*hs)
		qT, kT, do, doT := carve(&buf, hs*T), carve(&buf, hs*T), carve(&buf, T*hs), carve(&buf, hs*T)
		for t := 0; t < T; t++ {
			base := (b*T+t)*3*C + h*hs
			copy(q[t*hs:(t+1)*hs], qkv[base:base+hs])
			copy(k[t*hs:(t+1)*hs], qkv[base+C:base+C+hs])
			copy(v[t*hs:(t+1)*hs], qkv[base+2*C:base+2*C+hs])
			copy(do[t*hs:(t+1)*hs], dout[(b*T+t)*C+h*hs:(b*T+t)*C+(h+1)*hs])
			for i := 0; i < hs; i++ {
				qT[i*T+t], kT[i*T+t], doT[i*T+t] = q[t*hs+i], k[t*hs+i], do[t*hs+i]
			}
		}
		p := att[pair*T*T : (pair+1)*T*T]
		dp, ds, sT := carve(&buf, T*T), carve(&buf, T*T), carve(&buf, T*T)
		matmul.MatMulSerial(dp, do, v, nil, T, hs, T) // dp[t][t2] = do_t·v_t2
		// dV[t2] = Σt p[t][t2]·do[t]: Pᵀ as the input rows.
		transposeInto(sT, p, T, T)
		dv := carve(&buf, T*hs)
		matmul.MatMulSerial(dv, sT, doT, nil, T, T, hs)
		// Softmax backward, with the score scale folded in.
		for t := 0; t < T; t++ {
			row, drow, srow := p[t*T:(t+1)*T], dp[t*T:(t+1)*T], ds[t*T:(t+1)*T]
			var dot float32
			for t2 := 0; t2 <= t; t2++ {
				dot += row[t2] * drow[t2]
			}
			for t2 := 0; t2 <= t; t2++ {
				srow[t2] = row[t2] * (drow[t2] - dot) * scale
			}
			clear(srow[t+1:])
		}
		dq, dk := carve(&buf, T*hs), carve(&buf, T*hs)
		matmul.MatMulSerial(dq, ds, kT, nil, T, T, hs)
		transposeInto(sT, ds, T, T)
		matmul.MatMulSerial(dk, sT, qT, nil, T, T, hs)
		for t := 0; t < T; t++ {
			base := (b*T+t)*3*C + h*hs
			for i := 0; i < hs; i++ {
				dqkv[base+i] += dq[t*hs+i]
				dqkv[base+C+i] += dk[t*hs+i]
				dqkv[base+2*C+i] += dv[t*hs+i]
			}
		}
	})
}

// overPairs runs f for i < n, spread over the matmul core's threads (each
// i writes disjoint memory). Each worker has its own scratch of scratch
// floats, reused for every i it runs; f carves it up with carve.
func overPairs(n, scratch int, f func(i int, buf []float32)) {
	w := min(matmul.Threads(), n)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			buf := make([]float32, scratch)
			for i := k; i < n; i += w {
				f(i, buf)
			}
		}(k)
	}
	wg.Wait()
}

// carve takes the next k floats off *buf (stale values: callers write
// every element they read).
func carve(buf *[]float32, k int) []float32 {
	s := (*buf)[:k:k]
	*buf = (*buf)[k:]
	return s
}

// transposeInto writes src (rows×cols) transposed into dst, in 16×16
// tiles so both sides stay in cache.
func transposeInto(dst, src []float32, rows, cols int) {
	const tile = 16
	for r0 := 0; r0 < rows; r0 += tile {
		r1 := min(r0+tile, rows)
		for c0 := 0; c0 < cols; c0 += tile {
			c1 := min(c0+tile, cols)
			for r := r0; r < r1; r++ {
				row := src[r*cols : (r+1)*cols]
				for c := c0; c < c1; c++ {
					dst[c*rows+r] = row[c]
				}
			}
		}
	}
}

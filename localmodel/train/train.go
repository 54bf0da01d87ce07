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

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/matmul"
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

func newActs(c localmodel.Config, B, T int) *acts {
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
	Model *localmodel.Model
	Grads []float32
	m, v  []float32
	Step  int
	a     *acts
}

// New prepares training of m.
func New(m *localmodel.Model) *Trainer {
	n := len(m.Flat())
	return &Trainer{Model: m, Grads: make([]float32, n), m: make([]float32, n), v: make([]float32, n)}
}

func (tr *Trainer) params() localmodel.Params { return tr.Model.Params }

// grads views the gradient buffer with the parameters' layout.
func (tr *Trainer) grads() localmodel.Params {
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
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = x[r*cols+c]
		}
	}
	return out
}

func layerNormFwd(out, mean, rstd, x, w, b []float32, n, C int) {
	localmodel.LayerNorm(out, mean, rstd, x, w, b, n, C)
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
// softmax probabilities in att (B,NH,T,T).
func attentionFwd(out, att, qkv []float32, B, T, C, NH int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	overRows(B, func(b int) {
		for t := 0; t < T; t++ {
			for h := 0; h < NH; h++ {
				q := qkv[(b*T+t)*3*C+h*hs : (b*T+t)*3*C+(h+1)*hs]
				row := att[((b*NH+h)*T+t)*T : ((b*NH+h)*T+t+1)*T]
				maxv := float32(math.Inf(-1))
				for t2 := 0; t2 <= t; t2++ {
					k := qkv[(b*T+t2)*3*C+C+h*hs : (b*T+t2)*3*C+C+(h+1)*hs]
					row[t2] = matmul.Dot(q, k) * scale
					maxv = max(maxv, row[t2])
				}
				var sum float32
				for t2 := 0; t2 <= t; t2++ {
					row[t2] = float32(math.Exp(float64(row[t2] - maxv)))
					sum += row[t2]
				}
				for t2 := 0; t2 <= t; t2++ {
					row[t2] /= sum
				}
				for t2 := t + 1; t2 < T; t2++ {
					row[t2] = 0
				}
				o := out[(b*T+t)*C+h*hs : (b*T+t)*C+(h+1)*hs]
				for i := range o {
					o[i] = 0
				}
				for t2 := 0; t2 <= t; t2++ {
					v := qkv[(b*T+t2)*3*C+2*C+h*hs : (b*T+t2)*3*C+2*C+(h+1)*hs]
					for i := range o {
						o[i] += row[t2] * v[i]
					}
				}
			}
		}
	})
}

// overRows runs f for each batch row, spread over the matmul core's threads
// (rows write disjoint memory).
func overRows(B int, f func(b int)) {
	w := min(matmul.Threads(), B)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for b := k; b < B; b += w {
				f(b)
			}
		}(k)
	}
	wg.Wait()
}

// attentionBwd accumulates dqkv from dout.
func attentionBwd(dqkv, dout, qkv, att []float32, B, T, C, NH int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	overRows(B, func(b int) {
		datt := make([]float32, T)
		dpre := make([]float32, T)
		for t := 0; t < T; t++ {
			for h := 0; h < NH; h++ {
				row := att[((b*NH+h)*T+t)*T : ((b*NH+h)*T+t+1)*T]
				do := dout[(b*T+t)*C+h*hs : (b*T+t)*C+(h+1)*hs]
				// out = Σ att·v: datt and dv.
				for t2 := 0; t2 <= t; t2++ {
					v := qkv[(b*T+t2)*3*C+2*C+h*hs : (b*T+t2)*3*C+2*C+(h+1)*hs]
					dv := dqkv[(b*T+t2)*3*C+2*C+h*hs : (b*T+t2)*3*C+2*C+(h+1)*hs]
					datt[t2] = matmul.Dot(do, v)
					for i := range dv {
						dv[i] += row[t2] * do[i]
					}
				}
				// softmax backward.
				var dot float32
				for t2 := 0; t2 <= t; t2++ {
					dot += row[t2] * datt[t2]
				}
				for t2 := 0; t2 <= t; t2++ {
					dpre[t2] = row[t2] * (datt[t2] - dot)
				}
				// pre = q·k·scale: dq and dk.
				q := qkv[(b*T+t)*3*C+h*hs : (b*T+t)*3*C+(h+1)*hs]
				dq := dqkv[(b*T+t)*3*C+h*hs : (b*T+t)*3*C+(h+1)*hs]
				for t2 := 0; t2 <= t; t2++ {
					k := qkv[(b*T+t2)*3*C+C+h*hs : (b*T+t2)*3*C+C+(h+1)*hs]
					dk := dqkv[(b*T+t2)*3*C+C+h*hs : (b*T+t2)*3*C+C+(h+1)*hs]
					d := dpre[t2] * scale
					for i := 0; i < hs; i++ {
						dq[i] += d * k[i]
						dk[i] += d * q[i]
					}
				}
			}
		}
	})
}

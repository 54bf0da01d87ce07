package localmodel

import (
	"math"
	"math/rand/v2"

	"github.com/ponder-go/ponder/llm"
)

// Sampling chooses the next token from logits.
type Sampling struct {
	Temperature float64 // 0: greedy
	TopK        int     // 0: no limit
	TopP        float64 // 0 or 1: no limit
	Seed        uint64
}

// checkFirst reports whether a token drawn without a constraint's mask,
// when the constraint allows it, is drawn as if under the mask: for greedy
// decoding and plain temperature sampling, not for top-k or top-p, whose
// cut-off depends on which tokens are allowed.
func (s Sampling) checkFirst() bool {
	return s.Temperature <= 0 || s.TopK <= 0 && (s.TopP <= 0 || s.TopP >= 1)
}

// pick returns the chosen token and the log-softmax of the (temperature 1)
// distribution, for logprobs. allowed, when set, masks out tokens.
func (s Sampling) pick(logits []float32, r *rand.Rand, allowed func(int) bool) (int32, []float64) {
	lp := logSoftmax(logits)
	return s.pickFrom(lp, r, allowed), lp
}

// pickFast is pick without the log-softmax, for generations that report no
// logprobs: greedy is an arg-max over the logits, and sampling weighs
// exp((logit - max)/T), the same weights. It returns the token only.
func (s Sampling) pickFast(logits []float32, r *rand.Rand, allowed func(int) bool) int32 {
	if s.Temperature <= 0 {
		best, bestV := -1, float32(0)
		for i, v := range logits {
			if (best < 0 || v > bestV) && (allowed == nil || allowed(i)) {
				best, bestV = i, v
			}
		}
		return int32(max(best, 0))
	}
	scores := make([]float64, len(logits))
	for i, v := range logits {
		scores[i] = float64(v)
	}
	return s.pickFrom(scores, r, allowed)
}

// pickFrom chooses a token by scores (log-probabilities, or logits: only
// differences matter), masking out tokens allowed rejects in place.
func (s Sampling) pickFrom(lp []float64, r *rand.Rand, allowed func(int) bool) int32 {
	if allowed != nil {
		for i := range lp {
			if !allowed(i) {
				lp[i] = math.Inf(-1)
			}
		}
	}
	if s.Temperature <= 0 {
		best := 0
		for i, v := range lp {
			if v > lp[best] {
				best = i
			}
		}
		return int32(best)
	}
	// Weights w_i = exp((lp_i - max)/T) of the allowed tokens. Top-k and
	// top-p need only the head of the distribution: a max-heap yields it
	// in order without sorting the whole vocabulary (O(V + k log V)).
	maxv := math.Inf(-1)
	for _, v := range lp {
		maxv = math.Max(maxv, v)
	}
	h := candHeap(make([]cand, 0, len(lp)))
	for i, v := range lp {
		if !math.IsInf(v, -1) {
			h = append(h, cand{i, math.Exp((v - maxv) / s.Temperature)})
		}
	}
	if len(h) == 0 {
		return 0
	}
	var total float64
	for _, c := range h {
		total += c.p
	}
	limitK := s.TopK > 0 && s.TopK < len(h)
	limitP := s.TopP > 0 && s.TopP < 1
	if !limitK && !limitP {
		x := r.Float64() * total
		for _, c := range h {
			x -= c.p
			if x <= 0 {
				return int32(c.id)
			}
		}
		return int32(h[len(h)-1].id)
	}
	h.init()
	var head []cand
	var sum float64
	for len(h) > 0 {
		c := h.pop()
		head = append(head, c)
		sum += c.p
		if limitK && len(head) == s.TopK || limitP && sum >= s.TopP*total {
			break
		}
	}
	x := r.Float64() * sum
	for _, c := range head {
		x -= c.p
		if x <= 0 {
			return int32(c.id)
		}
	}
	return int32(head[len(head)-1].id)
}

type cand struct {
	id int
	p  float64
}

// candHeap is a max-heap by probability (lower id first on ties).
type candHeap []cand

func (h candHeap) less(i, j int) bool {
	return h[i].p > h[j].p || h[i].p == h[j].p && h[i].id < h[j].id
}

func (h candHeap) down(i int) {
	n := len(h)
	for {
		l, m := 2*i+1, i
		if l < n && h.less(l, m) {
			m = l
		}
		if l+1 < n && h.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h candHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *candHeap) pop() cand {
	s := *h
	top := s[0]
	s[0] = s[len(s)-1]
	s = s[:len(s)-1]
	s.down(0)
	*h = s
	return top
}

func logSoftmax(logits []float32) []float64 {
	maxv := math.Inf(-1)
	for _, v := range logits {
		maxv = math.Max(maxv, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - maxv)
	}
	lse := maxv + math.Log(sum)
	out := make([]float64, len(logits))
	for i, v := range logits {
		out[i] = float64(v) - lse
	}
	return out
}

func tokenLogprob(tok Tokenizer, id int32, lp []float64, top int) llm.TokenLogprob {
	t := llm.TokenLogprob{Token: string(tok.Token(id)), Logprob: lp[id]}
	if top > 0 {
		h := make(candHeap, len(lp))
		for i, v := range lp {
			h[i] = cand{i, v}
		}
		h.init()
		for k := 0; k < top && len(h) > 0; k++ {
			c := h.pop()
			t.Top = append(t.Top, llm.TopLogprob{Token: string(tok.Token(int32(c.id))), Logprob: c.p})
		}
	}
	return t
}

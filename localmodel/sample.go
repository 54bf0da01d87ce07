package localmodel

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ponder-go/ponder/llm"
)

// Sampling chooses the next token from logits.
type Sampling struct {
	Temperature float64 // 0: greedy
	TopK        int     // 0: no limit
	TopP        float64 // 0 or 1: no limit
	Seed        uint64
}

// pick returns the chosen token and the log-softmax of the (temperature 1)
// distribution, for logprobs. allowed, when set, masks out tokens.
func (s Sampling) pick(logits []float32, r *rand.Rand, allowed func(int) bool) (int32, []float64) {
	lp := logSoftmax(logits)
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
		return int32(best), lp
	}
	type cand struct {
		id int
		p  float64
	}
	cands := make([]cand, 0, len(lp))
	maxv := math.Inf(-1)
	for _, v := range lp {
		maxv = math.Max(maxv, v)
	}
	for i, v := range lp {
		if !math.IsInf(v, -1) {
			cands = append(cands, cand{i, (v - maxv) / s.Temperature})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		return cands[i].p > cands[j].p || cands[i].p == cands[j].p && cands[i].id < cands[j].id
	})
	if s.TopK > 0 && len(cands) > s.TopK {
		cands = cands[:s.TopK]
	}
	var sum float64
	for i := range cands {
		cands[i].p = math.Exp(cands[i].p)
		sum += cands[i].p
	}
	if s.TopP > 0 && s.TopP < 1 {
		acc := 0.0
		for i := range cands {
			acc += cands[i].p / sum
			if acc >= s.TopP {
				cands = cands[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range cands {
			sum += c.p
		}
	}
	x := r.Float64() * sum
	for _, c := range cands {
		x -= c.p
		if x <= 0 {
			return int32(c.id), lp
		}
	}
	return int32(cands[len(cands)-1].id), lp
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
		idx := make([]int, len(lp))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return lp[idx[a]] > lp[idx[b]] })
		for _, i := range idx[:min(top, len(idx))] {
			t.Top = append(t.Top, llm.TopLogprob{Token: string(tok.Token(int32(i))), Logprob: lp[i]})
		}
	}
	return t
}

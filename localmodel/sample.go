package localmodel

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/constrain"
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

// GenerateOptions control one generation.
type GenerateOptions struct {
	MaxTokens   int // default 64
	Sampling    Sampling
	Stop        []string // stop sequences, checked on decoded text
	N           int      // samples sharing one prefill (default 1)
	TopLogprobs int      // alternatives reported per token
	// StopAtEndOfText ends a sample at the tokenizer's end-of-text token.
	StopAtEndOfText bool
	// OnToken, when set, receives each sample's text as it is produced.
	OnToken func(sample int, text string) error
	// Constraint, when set, restricts every sample to text it accepts:
	// tokens outside its mask are never sampled, forced text is fed without
	// sampling, and a sample ends when the constraint is complete and
	// nothing more may follow (or the model picks end-of-text there).
	Constraint *constrain.Matcher
}

// Sample is one generated continuation.
type Sample struct {
	Text         string
	Tokens       []int32
	FinishReason string // "stop" or "length"
	Logprobs     []llm.TokenLogprob
}

// Generate continues the prompt tokens. The prompt is prefilled once and
// each of the N samples forks that state. A prompt longer than the context
// is an error; generation stops with finish reason "length" at MaxTokens or
// when the context is full.
func (m *Model) Generate(ctx context.Context, prompt []int32, o GenerateOptions) ([]Sample, llm.Usage, error) {
	if m.Tok == nil {
		return nil, llm.Usage{}, fmt.Errorf("localmodel: the model has no tokenizer")
	}
	if len(prompt) == 0 {
		eot, ok := m.Tok.SpecialID(EndOfText)
		if !ok {
			return nil, llm.Usage{}, fmt.Errorf("localmodel: empty prompt")
		}
		prompt = []int32{eot}
	}
	if len(prompt) >= m.Config.MaxSeq {
		return nil, llm.Usage{}, fmt.Errorf("localmodel: %w: the prompt has %d tokens, the context holds %d", ErrContextFull, len(prompt), m.Config.MaxSeq)
	}
	maxTok := o.MaxTokens
	if maxTok <= 0 {
		maxTok = 64
	}
	n := max(o.N, 1)
	base := m.NewState()
	logits, err := m.Forward(base, prompt, false)
	if err != nil {
		return nil, llm.Usage{}, err
	}
	usage := llm.Usage{PromptTokens: len(prompt)}
	out := make([]Sample, n)
	eot, hasEOT := m.Tok.SpecialID(EndOfText)
	holdBack := 0
	for _, st := range o.Stop {
		holdBack = max(holdBack, len(st)-1)
	}
	for i := 0; i < n; i++ {
		st := base
		if i < n-1 {
			st = base.Fork()
		}
		r := rand.New(rand.NewPCG(o.Sampling.Seed, uint64(i)+1))
		lg := logits
		cs := int32(0)
		if o.Constraint != nil {
			cs = o.Constraint.Start()
		}
		var text []byte
		sent := 0 // bytes already passed to OnToken
		flush := func(upto int) error {
			if o.OnToken != nil && upto > sent {
				if err := o.OnToken(i, string(text[sent:upto])); err != nil {
					return err
				}
				sent = upto
			}
			return nil
		}
		smp := &out[i]
		smp.FinishReason = llm.FinishLength
		for step := 0; step < maxTok; step++ {
			if err := ctx.Err(); err != nil {
				return nil, usage, llm.Canceled("local", err)
			}
			var allowed func(int) bool
			if c := o.Constraint; c != nil {
				// Fixed text: feed its tokens in one pass, no sampling. The
				// last token is held back (token healing): forced "Thought: "
				// would end in a lone space token the model never saw in
				// training, where the space joins the next word (" I").
				var toks []int32
				if forced := c.Forced(cs); len(forced) > 0 {
					toks = m.Tok.Encode(string(forced))
					toks = toks[:len(toks)-1]
				}
				if len(toks) > 0 {
					room := min(maxTok-step, m.Config.MaxSeq-st.Pos)
					if len(toks) > room {
						toks = toks[:room]
					}
					if len(toks) == 0 {
						break
					}
					prev := len(text)
					for _, t := range toks {
						smp.Tokens = append(smp.Tokens, t)
						text = append(text, m.Tok.Token(t)...)
					}
					cs = c.Advance(cs, text[prev:])
					usage.CompletionTokens += len(toks)
					step += len(toks) - 1
					if cut, ok := stopAt(text, o.Stop, prev); ok {
						text = text[:cut]
						smp.FinishReason = llm.FinishStop
						break
					}
					if err := flush(len(text) - holdBack); err != nil {
						return nil, usage, err
					}
					if step >= maxTok-1 || st.Pos+len(toks) > m.Config.MaxSeq {
						break
					}
					if lg, err = m.Forward(st, toks, false); err != nil {
						return nil, usage, err
					}
					continue
				}
				mask := c.Mask(cs)
				if c.Accepting(cs) && onlyEOT(mask, eot, hasEOT) {
					smp.FinishReason = llm.FinishStop
					break
				}
				allowed = func(id int) bool { return constrain.Allowed(mask, int32(id)) }
			}
			tok, lp := o.Sampling.pick(lg, r, allowed)
			if hasEOT && tok == eot && (o.StopAtEndOfText || o.Constraint != nil) {
				smp.FinishReason = llm.FinishStop
				break
			}
			if o.Constraint != nil {
				cs = o.Constraint.Advance(cs, m.Tok.Token(tok))
			}
			piece := m.Tok.Token(tok)
			smp.Tokens = append(smp.Tokens, tok)
			smp.Logprobs = append(smp.Logprobs, tokenLogprob(m.Tok, tok, lp, o.TopLogprobs))
			prev := len(text)
			text = append(text, piece...)
			usage.CompletionTokens++
			if cut, ok := stopAt(text, o.Stop, prev); ok {
				text = text[:cut]
				if err := flush(cut); err != nil {
					return nil, usage, err
				}
				smp.FinishReason = llm.FinishStop
				break
			}
			// Stream all but the bytes that could start a stop sequence.
			if err := flush(len(text) - holdBack); err != nil {
				return nil, usage, err
			}
			if st.Pos >= m.Config.MaxSeq {
				break // context full: finish reason "length"
			}
			if step == maxTok-1 {
				break
			}
			lg, err = m.Forward(st, []int32{tok}, false)
			if err != nil {
				return nil, usage, err
			}
		}
		if err := flush(len(text)); err != nil {
			return nil, usage, err
		}
		smp.Text = string(text)
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	return out, usage, nil
}

// stopAt finds the earliest stop sequence in text that ends after byte
// prev (so a stop sequence split across tokens still stops) and returns
// where to cut.
func stopAt(text []byte, stops []string, prev int) (int, bool) {
	cut, found := len(text), false
	for _, s := range stops {
		if s == "" {
			continue
		}
		from := max(0, prev-len(s)+1)
		if i := strings.Index(string(text[from:]), s); i >= 0 && from+i < cut {
			cut, found = from+i, true
		}
	}
	return cut, found
}

// onlyEOT reports whether the mask allows nothing but end-of-text.
func onlyEOT(mask []uint64, eot int32, hasEOT bool) bool {
	for w, bits := range mask {
		if hasEOT && int32(w) == eot/64 {
			bits &^= 1 << (eot % 64)
		}
		if bits != 0 {
			return false
		}
	}
	return true
}

func tokenLogprob(tok *Tokenizer, id int32, lp []float64, top int) llm.TokenLogprob {
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

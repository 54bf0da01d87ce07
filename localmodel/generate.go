package localmodel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/constrain"
)

// GenerateOptions control one generation.
type GenerateOptions struct {
	MaxTokens int // default 64
	Sampling  Sampling
	Stop      []string // stop sequences, checked on decoded text
	N         int      // samples sharing one prefill (default 1)
	// Logprobs records each token's log-probability in Sample.Logprobs
	// (TopLogprobs > 0 implies it).
	Logprobs    bool
	TopLogprobs int // alternatives reported per token
	// StopAtEndOfText ends a sample at one of the model's stop tokens (end
	// of text, end of turn).
	StopAtEndOfText bool
	// OnToken, when set, receives each sample's text as it is produced.
	OnToken func(sample int, text string) error
	// Constraint, when set, restricts every sample to text it accepts:
	// tokens outside its mask are never sampled, forced text is fed without
	// sampling, and a sample ends when the constraint is complete and
	// nothing more may follow (or the model picks a stop token there).
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
		if len(m.Stops) == 0 {
			return nil, llm.Usage{}, fmt.Errorf("localmodel: empty prompt")
		}
		prompt = []int32{m.Stops[0]} // what a document boundary looks like in training
	}
	ctxLen := m.Net.ContextLength()
	if len(prompt) >= ctxLen {
		return nil, llm.Usage{}, fmt.Errorf("localmodel: %w: the prompt has %d tokens, the context holds %d", ErrContextFull, len(prompt), ctxLen)
	}
	maxTok := o.MaxTokens
	if maxTok <= 0 {
		maxTok = 64
	}
	n := max(o.N, 1)
	base, logits, err := m.prefill(prompt)
	if err != nil {
		return nil, llm.Usage{}, err
	}
	usage := llm.Usage{PromptTokens: len(prompt)}
	out := make([]Sample, n)
	holdBack := 0
	for _, st := range o.Stop {
		holdBack = max(holdBack, len(st)-1)
	}
	seqs := make([]*sequence, n)
	for i := range n {
		st := base
		if i < n-1 {
			st = base.Fork()
		}
		seqs[i] = &sequence{m: m, o: &o, index: i, state: st, logits: logits, holdBack: holdBack,
			rng: rand.New(rand.NewPCG(o.Sampling.Seed, uint64(i)+1)), out: &out[i], usage: &llm.Usage{}}
		if o.Constraint != nil {
			seqs[i].cs = o.Constraint.Start()
		}
	}
	if err := m.runAll(ctx, seqs, maxTok); err != nil {
		return nil, usage, err
	}
	for _, q := range seqs {
		usage.CompletionTokens += q.usage.CompletionTokens
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	return out, usage, nil
}

// runAll decodes the samples: one after another, or all at once when
// they can share decode passes (Model.Batch), with OnToken calls
// serialized.
func (m *Model) runAll(ctx context.Context, seqs []*sequence, maxTok int) error {
	if !m.batching() || len(seqs) == 1 {
		for _, q := range seqs {
			if err := q.run(ctx, maxTok); err != nil {
				return err
			}
		}
		return nil
	}
	o := *seqs[0].o
	if fn := o.OnToken; fn != nil {
		var mu sync.Mutex
		o.OnToken = func(i int, text string) error {
			mu.Lock()
			defer mu.Unlock()
			return fn(i, text)
		}
	}
	for _, q := range seqs {
		q.o = &o
	}
	// The first sample to fail ends the call, and the others stop with it.
	return par.Do(ctx, len(seqs), 0, func(ctx context.Context, i int) error {
		return seqs[i].run(ctx, maxTok)
	})
}

// decode advances st by toks and returns the logits of its last position,
// batched with other sequences' steps where the model allows.
func (m *Model) decode(st State, toks []int32) ([]float32, error) {
	if m.batching() {
		return m.batch.forward(m.Net.(BatchNetwork), m.Batch, st, toks)
	}
	return m.Net.Forward(st, toks, false)
}

// batching reports whether decode steps are batched.
func (m *Model) batching() bool {
	_, ok := m.Net.(BatchNetwork)
	return ok && m.Batch > 1
}

// prefill runs the prompt into a fresh state, resuming from the longest
// cached prefix when there is one, and caches the result.
func (m *Model) prefill(prompt []int32) (State, []float32, error) {
	budget := m.PrefixCache
	if budget == 0 {
		budget = DefaultPrefixCache
	}
	var st State
	var logits []float32
	done := 0
	if budget > 0 {
		st, logits, done = m.prefixes.lookup(prompt)
	}
	if st == nil {
		st, done = m.Net.NewState(), 0
	}
	if done < len(prompt) {
		var err error
		if logits, err = m.prefillTokens(st, prompt[done:]); err != nil {
			return nil, nil, err
		}
	}
	if budget > 0 {
		m.prefixes.store(prompt, st, logits, budget)
	}
	return st, logits, nil
}

// prefillChunk is the most prompt tokens a batched prefill feeds in one
// pass, so that a long prompt does not hold up the other sequences'
// decode steps for all of its length.
const prefillChunk = 128

// prefillTokens feeds prompt tokens into st and returns the logits of the
// last. With batching on, the prompt joins the concurrent decode steps'
// passes (in chunks of prefillChunk), so that requests arriving together
// prefill in one pass over the weights and then decode in step, instead
// of each prefilling alone while the others' steps run without it.
func (m *Model) prefillTokens(st State, toks []int32) ([]float32, error) {
	if !m.batching() {
		return m.Net.Forward(st, toks, false)
	}
	m.batch.join()
	defer m.batch.leave()
	var logits []float32
	for len(toks) > 0 {
		n := min(len(toks), prefillChunk)
		var err error
		if logits, err = m.decode(st, toks[:n]); err != nil {
			return nil, err
		}
		toks = toks[n:]
	}
	return logits, nil
}

// sequence is one sample being decoded: its cache, the logits of its next
// position, its constraint state, and the text it has streamed so far.
type sequence struct {
	m      *Model
	o      *GenerateOptions
	index  int
	state  State
	logits []float32
	rng    *rand.Rand
	cs     int32 // constraint state
	text   []byte
	sent   int // bytes of text already passed to OnToken
	// holdBack bytes stay unstreamed: they could start a stop sequence.
	holdBack int
	out      *Sample
	usage    *llm.Usage
	// left is the token budget remaining, the next token included: masks
	// steer a constrained output to finish within it.
	left int
}

// run decodes up to maxTok tokens: forced text where the constraint fixes
// it, a sampled token otherwise, until a stop.
func (q *sequence) run(ctx context.Context, maxTok int) error {
	q.out.FinishReason = llm.FinishLength
	if q.m.batching() {
		q.m.batch.join()
		defer q.m.batch.leave()
	}
	ctxLen := q.m.Net.ContextLength()
	for step := 0; step < maxTok; {
		if err := ctx.Err(); err != nil {
			return llm.Canceled("local", err)
		}
		var toks []int32
		if forced := q.forcedTokens(); len(forced) > 0 {
			toks = forced[:min(len(forced), maxTok-step, ctxLen-q.state.Len())]
			if len(toks) == 0 {
				break
			}
			if q.emitForced(toks) {
				break
			}
		} else {
			q.left = maxTok - step
			tok, lp, stop := q.choose()
			if stop {
				q.out.FinishReason = llm.FinishStop
				break
			}
			if q.emit(tok, lp) {
				break
			}
			toks = []int32{tok}
		}
		if c := q.o.Constraint; c != nil {
			if err := c.Err(); err != nil {
				return &llm.Error{Kind: llm.ErrBadRequest, Backend: "local", Msg: "constraint", Err: err}
			}
		}
		if err := q.flush(len(q.text) - q.holdBack); err != nil {
			return err
		}
		step += len(toks)
		if step >= maxTok || q.state.Len()+len(toks) > ctxLen {
			break // finish reason "length"
		}
		var err error
		if q.logits, err = q.m.decode(q.state, toks); err != nil {
			return err
		}
	}
	if err := q.flush(len(q.text)); err != nil {
		return err
	}
	q.out.Text = string(q.text)
	return nil
}

// forcedTokens returns the tokens of the text the constraint fixes next
// (none without a constraint). The last token is held back (token
// healing): forced "Thought: " would end in a lone space token the model
// never saw in training, where the space joins the next word (" I").
func (q *sequence) forcedTokens() []int32 {
	c := q.o.Constraint
	if c == nil {
		return nil
	}
	forced := c.Forced(q.cs)
	if len(forced) == 0 {
		return nil
	}
	toks := q.m.Tok.Encode(string(forced))
	return toks[:len(toks)-1]
}

// emitForced appends forced tokens to the text; it reports a stop sequence.
func (q *sequence) emitForced(toks []int32) bool {
	prev := len(q.text)
	for _, t := range toks {
		q.out.Tokens = append(q.out.Tokens, t)
		q.text = append(q.text, q.m.Tok.Token(t)...)
	}
	q.cs = q.o.Constraint.Advance(q.cs, q.text[prev:])
	q.usage.CompletionTokens += len(toks)
	return q.cutAtStop(prev)
}

// choose samples the next token under the constraint's mask; stop is set
// when the sample ends here instead (a stop token, or a complete
// constraint that allows nothing more).
func (q *sequence) choose() (tok int32, lp []float64, stop bool) {
	var allowed func(int) bool
	c := q.o.Constraint
	if c != nil && q.o.TopLogprobs == 0 && q.o.Sampling.checkFirst() {
		// Check first, mask only when needed. Greedy: when the best token
		// overall keeps the constraint alive it is the best allowed one,
		// and walking its bytes is all the check costs. Sampling: a token
		// drawn from the whole distribution and kept when allowed, or else
		// drawn again from the allowed ones, is drawn from the allowed
		// ones: P(t) = p(t) + (1 - P(allowed))·p(t)/P(allowed) =
		// p(t)/P(allowed). (llama.cpp samples grammars the same way.)
		tok, lp = q.sample(nil)
		if c.AllowsWithin(q.cs, tok, q.m.Tok.Token(tok), q.left) {
			if q.m.isStop(tok) {
				return tok, lp, true
			}
			return tok, lp, false
		}
	}
	if c != nil {
		mask := c.MaskWithin(q.cs, q.left)
		if c.Accepting(q.cs) && onlyStop(mask, q.m.StopToken()) {
			return 0, nil, true
		}
		allowed = func(id int) bool { return constrain.Allowed(mask, int32(id)) }
	}
	tok, lp = q.sample(allowed)
	if q.m.isStop(tok) && (q.o.StopAtEndOfText || c != nil) {
		return tok, lp, true
	}
	return tok, lp, false
}

// sample picks a token from the logits; lp, the log-softmax, is computed
// only when logprobs are reported (over Qwen's 151,936 tokens it costs
// about as much as a tenth of a decode step).
func (q *sequence) sample(allowed func(int) bool) (int32, []float64) {
	if q.o.Logprobs || q.o.TopLogprobs > 0 {
		return q.o.Sampling.pick(q.logits, q.rng, allowed)
	}
	return q.o.Sampling.pickFast(q.logits, q.rng, allowed), nil
}

// emit appends a sampled token; it reports a stop sequence.
func (q *sequence) emit(tok int32, lp []float64) bool {
	piece := q.m.Tok.Token(tok)
	if q.o.Constraint != nil {
		q.cs = q.o.Constraint.Advance(q.cs, piece)
	}
	q.out.Tokens = append(q.out.Tokens, tok)
	if lp != nil {
		q.out.Logprobs = append(q.out.Logprobs, tokenLogprob(q.m.Tok, tok, lp, q.o.TopLogprobs))
	}
	prev := len(q.text)
	q.text = append(q.text, piece...)
	q.usage.CompletionTokens++
	return q.cutAtStop(prev)
}

// cutAtStop ends the text at a stop sequence completed after byte prev.
func (q *sequence) cutAtStop(prev int) bool {
	cut, ok := stopAt(q.text, q.o.Stop, prev)
	if !ok {
		return false
	}
	q.text = q.text[:cut]
	q.out.FinishReason = llm.FinishStop
	return true
}

// flush streams text up to byte upto.
func (q *sequence) flush(upto int) error {
	if q.o.OnToken != nil && upto > q.sent {
		if err := q.o.OnToken(q.index, string(q.text[q.sent:upto])); err != nil {
			return err
		}
		q.sent = upto
	}
	return nil
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

// onlyStop reports whether the mask allows nothing but the stop token.
func onlyStop(mask []uint64, stop int32) bool {
	for w, bits := range mask {
		if stop >= 0 && int32(w) == stop/64 {
			bits &^= 1 << (stop % 64)
		}
		if bits != 0 {
			return false
		}
	}
	return true
}

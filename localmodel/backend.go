package localmodel

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/constrain"
)

// Backend serves a Model as an llm.Model and llm.Streamer.
//
// Chat messages are rendered with the model's chat template, or as plain
// text for a completion model (see RenderMessages). Every constraint kind
// is enforced token by token (see localmodel/constrain).
type Backend struct {
	Model *Model
	Name  string
	// DefaultTemperature applies when a request leaves it unset (default 0:
	// greedy, which small local models need most).
	DefaultTemperature float64

	// MatcherCache bounds the memory of compiled constraints kept for
	// reuse (default 128 MB), least recently used first out.
	MatcherCache int64

	mu       sync.Mutex
	index    *constrain.Index
	matchers []cachedMatcher // least recently used first
}

// cachedMatcher is a compiled constraint kept by its JSON: its masks are
// reused across calls.
type cachedMatcher struct {
	key string
	m   *constrain.Matcher
}

// matcher compiles (or reuses) the matcher of a constraint.
func (b *Backend) matcher(c *llm.Constraint) (*constrain.Matcher, error) {
	keyb, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	key := string(keyb)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range b.matchers {
		if e.key == key {
			b.matchers = append(append(b.matchers[:i:i], b.matchers[i+1:]...), e)
			return e.m, nil
		}
	}
	prog, err := constrain.Compile(c)
	if err != nil {
		return nil, err
	}
	if b.index == nil {
		b.index = b.Model.ConstraintIndex()
	}
	m := constrain.NewMatcher(prog, b.index, b.Model.StopToken())
	b.matchers = append(b.matchers, cachedMatcher{key, m})
	// Evict by the memory the matchers hold now (they grow as used).
	limit := cmp.Or(b.MatcherCache, 128<<20)
	var total int64
	for _, e := range b.matchers {
		total += e.m.Size()
	}
	for len(b.matchers) > 1 && total > limit {
		total -= b.matchers[0].m.Size()
		b.matchers = b.matchers[1:]
	}
	return m, nil
}

// Preflight checks a request before it waits for a generation slot: it
// compiles the constraint, renders and tokenizes the prompt and checks it
// fits the context, so a bad or oversized request is refused without
// holding a slot (ponder serve calls it first).
func (b *Backend) Preflight(ctx context.Context, req llm.Request) error {
	if req.Constraint != nil {
		if _, err := b.matcher(req.Constraint); err != nil {
			kind := llm.ErrBadRequest
			if errors.Is(err, constrain.ErrUnsupported) {
				kind = llm.ErrUnsupported
			}
			return &llm.Error{Kind: kind, Backend: "local", Msg: "constraint " + constrain.Describe(req.Constraint), Err: err}
		}
	}
	if len(req.Tools) > 0 && req.ToolChoice != "none" && b.Model.ToolTemplate() == nil {
		return &llm.Error{Kind: llm.ErrUnsupported, Backend: "local", Msg: "native function calling needs a model whose chat template calls tools (Qwen2.5/Qwen3, Llama 3.1+); use the text-mode agent"}
	}
	var tools []llm.ToolSpec
	if b.Model.ToolTemplate() != nil && req.ToolChoice != "none" {
		tools = req.Tools
	}
	prompt, err := b.Model.EncodeChat(req.Messages, tools)
	if err != nil {
		return &llm.Error{Kind: llm.ErrBadRequest, Backend: "local", Msg: "chat template", Err: err}
	}
	if ctxLen := b.Model.ContextLength(); len(prompt) >= ctxLen {
		return &llm.Error{Kind: llm.ErrContextLength, Backend: "local", Msg: fmt.Sprintf("prompt of %d tokens does not fit the context of %d", len(prompt), ctxLen)}
	}
	return ctx.Err()
}

// Generate implements llm.Model.
func (b *Backend) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	return b.Stream(ctx, req, nil)
}

// Stream implements llm.Streamer.
func (b *Backend) Stream(ctx context.Context, req llm.Request, fn func(llm.Chunk) error) (*llm.Response, error) {
	var matcher *constrain.Matcher
	var tt ToolTemplate
	if len(req.Tools) > 0 && req.ToolChoice != "none" {
		if tt = b.Model.ToolTemplate(); tt == nil {
			return nil, &llm.Error{Kind: llm.ErrUnsupported, Backend: "local", Msg: "native function calling needs a model whose chat template calls tools (Qwen2.5/Qwen3, Llama 3.1+); use the text-mode agent"}
		}
		// "required" or a tool's name forces a call, its arguments valid
		// for the tool's schema.
		if req.Constraint == nil && req.ToolChoice != "" && req.ToolChoice != "auto" {
			name := req.ToolChoice
			if name == "required" {
				name = ""
			}
			if req.Constraint = tt.ToolCallConstraint(req.Tools, name); req.Constraint == nil {
				return nil, &llm.Error{Kind: llm.ErrBadRequest, Backend: "local", Msg: fmt.Sprintf("tool_choice %q names no offered tool", req.ToolChoice)}
			}
		}
	}
	if req.Constraint != nil {
		var err error
		if matcher, err = b.matcher(req.Constraint); err != nil {
			kind := llm.ErrBadRequest
			if errors.Is(err, constrain.ErrUnsupported) {
				kind = llm.ErrUnsupported
			}
			return nil, &llm.Error{Kind: kind, Backend: "local", Msg: "constraint " + constrain.Describe(req.Constraint), Err: err}
		}
	}
	tools := req.Tools
	if tt == nil {
		tools = nil
	}
	prompt, err := b.Model.EncodeChat(req.Messages, tools)
	if err != nil {
		return nil, &llm.Error{Kind: llm.ErrBadRequest, Backend: "local", Msg: "chat template", Err: err}
	}
	ctxLen := b.Model.ContextLength()
	if len(prompt) >= ctxLen {
		return nil, &llm.Error{Kind: llm.ErrContextLength, Backend: "local", Msg: fmt.Sprintf("prompt of %d tokens does not fit the context of %d", len(prompt), ctxLen)}
	}
	temp := b.DefaultTemperature
	if req.Temperature != nil {
		temp = *req.Temperature
	}
	var seed uint64
	if req.Seed != nil {
		seed = uint64(*req.Seed)
	}
	o := GenerateOptions{MaxTokens: req.MaxTokens, N: req.Samples(), Stop: req.Stop, StopAtEndOfText: true,
		Sampling: Sampling{Temperature: temp, TopP: req.TopP, Seed: seed}, Constraint: matcher}
	if req.Logprobs {
		o.Logprobs, o.TopLogprobs = true, req.TopLogprobs
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 256
	}
	if matcher != nil {
		// Refuse what cannot fit: even the longest tokens cannot spell the
		// shortest complete output within max_tokens.
		if need := matcher.MinBytes(matcher.Start()); need > o.MaxTokens*matcher.MaxTokenBytes() {
			return nil, &llm.Error{Kind: llm.ErrBadRequest, Backend: "local", Msg: fmt.Sprintf("the shortest output the constraint accepts is %d bytes; max_tokens %d cannot hold it", need, o.MaxTokens)}
		}
	}
	if room := ctxLen - len(prompt); o.MaxTokens > room {
		o.MaxTokens = room
	}
	if fn != nil {
		o.OnToken = func(i int, text string) error { return fn(llm.Chunk{Choice: i, Text: text}) }
	}
	samples, usage, err := b.Model.Generate(ctx, prompt, o)
	if err != nil {
		return nil, err
	}
	resp := &llm.Response{Model: b.Name, Usage: usage}
	for i, s := range samples {
		ch := llm.Choice{Index: i, Text: s.Text, FinishReason: s.FinishReason}
		if tt != nil {
			if text, calls := tt.ParseToolCalls(s.Text); len(calls) > 0 {
				ch.Text, ch.ToolCalls, ch.FinishReason = text, calls, llm.FinishToolCalls
			}
		}
		if req.Logprobs {
			ch.Logprobs = s.Logprobs
		}
		resp.Choices = append(resp.Choices, ch)
	}
	return resp, nil
}

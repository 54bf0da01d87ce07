// Package llmtest provides deterministic models and an OpenAI-wire HTTP
// server for tests. Scripted is a Model for unit tests of code that calls
// models; Server speaks the OpenAI chat-completions wire format (JSON and SSE)
// so the real llm/openai backend can be tested end to end.
package llmtest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ponder-go/ponder/llm"
)

// Rule answers requests whose prompt matches.
type Rule struct {
	// Contains matches when the rendered prompt (Request.Prompt) contains it.
	Contains string
	// Match, when set, decides instead of Contains.
	Match func(req llm.Request) bool
	// Reply is the text to answer with; ReplyFunc, when set, computes it per
	// sample (0..N-1).
	Reply     string
	ReplyFunc func(req llm.Request, sample int) string
	// ToolCalls to return (native function calling).
	ToolCalls []llm.ToolCall
	// Err, when set, is returned instead of a response.
	Err error
}

func (r *Rule) matches(req llm.Request) bool {
	if r.Match != nil {
		return r.Match(req)
	}
	return strings.Contains(req.Prompt(), r.Contains)
}

// Scripted is a deterministic llm.Model and llm.Streamer. For each request it
// uses the first matching Rule; with none matching, the next entry of Turns
// (in call order); with Turns exhausted, an error. Replies are cut at the
// request's stop sequences, as real backends do. It records every request.
type Scripted struct {
	Rules []Rule
	Turns []string

	mu    sync.Mutex
	turn  int
	calls []llm.Request
}

// Replies returns a Scripted model answering with replies in order.
func Replies(replies ...string) *Scripted { return &Scripted{Turns: replies} }

// Calls returns the requests seen so far.
func (s *Scripted) Calls() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.calls...)
}

// Generate implements llm.Model.
func (s *Scripted) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, llm.Canceled("scripted", err)
	}
	s.mu.Lock()
	s.calls = append(s.calls, req)
	var rule *Rule
	for i := range s.Rules {
		if s.Rules[i].matches(req) {
			rule = &s.Rules[i]
			break
		}
	}
	turn := -1
	if rule == nil {
		if s.turn >= len(s.Turns) {
			s.mu.Unlock()
			return nil, fmt.Errorf("llmtest: scripted model has no rule for this prompt and no turns left (used %d): %q", len(s.Turns), tail(req.Prompt(), 200))
		}
		turn = s.turn
		s.turn++
	}
	s.mu.Unlock()
	if rule != nil && rule.Err != nil {
		return nil, rule.Err
	}
	resp := &llm.Response{Model: "scripted"}
	prompt := Words(req.Prompt())
	for i := 0; i < req.Samples(); i++ {
		var text string
		var calls []llm.ToolCall
		switch {
		case rule == nil:
			text = s.Turns[turn]
		case rule.ReplyFunc != nil:
			text = rule.ReplyFunc(req, i)
		default:
			text = rule.Reply
			calls = rule.ToolCalls
		}
		text, reason := CutAtStop(text, req.Stop)
		if len(calls) > 0 {
			reason = llm.FinishToolCalls
		}
		resp.Choices = append(resp.Choices, llm.Choice{Index: i, Text: text, ToolCalls: calls, FinishReason: reason})
		resp.Usage.CompletionTokens += Words(text)
	}
	resp.Usage.PromptTokens = prompt
	resp.Usage.TotalTokens = prompt + resp.Usage.CompletionTokens
	return resp, nil
}

// Stream implements llm.Streamer, delivering each choice word by word.
func (s *Scripted) Stream(ctx context.Context, req llm.Request, fn func(llm.Chunk) error) (*llm.Response, error) {
	resp, err := s.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, c := range resp.Choices {
		for _, piece := range SplitKeep(c.Text) {
			if err := ctx.Err(); err != nil {
				return nil, llm.Canceled("scripted", err)
			}
			if err := fn(llm.Chunk{Choice: c.Index, Text: piece}); err != nil {
				return nil, err
			}
		}
	}
	return resp, nil
}

// CutAtStop truncates text before the earliest stop sequence and reports the
// finish reason ("stop" either way: scripted replies end naturally).
func CutAtStop(text string, stops []string) (string, string) {
	cut := len(text)
	for _, s := range stops {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 && i < cut {
			cut = i
		}
	}
	return text[:cut], llm.FinishStop
}

// Words counts whitespace-separated words: the token count of the test models.
func Words(s string) int { return len(strings.Fields(s)) }

// SplitKeep splits s into pieces that concatenate back to s, each a word
// with its leading whitespace.
func SplitKeep(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\n' {
			if s[i-1] != ' ' && s[i-1] != '\n' {
				out = append(out, s[start:i])
				start = i
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

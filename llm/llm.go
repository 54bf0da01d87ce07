// Package llm defines the one interface every language-model backend in Ponder
// implements, and the request and response types that cross it.
//
// A backend implements Model (and, if it can stream, Streamer). Code that
// calls models should go through Generate and Stream in this package: they
// record a trace span, fill in streaming for backends that cannot stream, and
// turn a cancelled context into ErrCanceled.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/internal/clip"
)

// Role of a chat message.
type Role string

const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one chat message. An assistant message may carry ToolCalls; a
// tool message answers the call named by ToolCallID.
type Message struct {
	Role       Role       `json:"role"`
	Content    string     `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// System, User and Assistant build messages.
func System(s string) Message    { return Message{Role: RoleSystem, Content: s} }
func User(s string) Message      { return Message{Role: RoleUser, Content: s} }
func Assistant(s string) Message { return Message{Role: RoleAssistant, Content: s} }

// ToolCall is a model's request to run a tool. Arguments is JSON text.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolSpec describes a tool to a model that supports function calling.
// Parameters is a JSON schema object.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// Request is what a caller asks of a model. Zero values mean "backend default"
// except where noted.
type Request struct {
	// Model overrides the backend's configured model name, if non-empty.
	Model    string    `json:"model,omitempty"`
	Messages []Message `json:"messages"`
	// MaxTokens bounds the completion length; 0 means backend default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Temperature: nil means backend default; Temp(0) means greedy, and
	// backends must honour an explicit zero (see llm/openai).
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        float64  `json:"top_p,omitempty"`
	// N is the number of samples (choices) wanted; 0 and 1 both mean one.
	N    int      `json:"n,omitempty"`
	Stop []string `json:"stop,omitempty"`
	Seed *int64   `json:"seed,omitempty"`
	// Tools offered to the model for native function calling.
	Tools []ToolSpec `json:"tools,omitempty"`
	// ToolChoice: "", "auto", "none", "required" or a tool name.
	ToolChoice string `json:"tool_choice,omitempty"`
	// Constraint restricts the output's shape. Backends that cannot enforce
	// a kind of constraint return ErrUnsupported rather than ignore it.
	Constraint *Constraint `json:"constraint,omitempty"`
	// Logprobs asks for per-token log-probabilities, with TopLogprobs
	// alternatives per position.
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs int  `json:"top_logprobs,omitempty"`
}

// Temp returns a pointer to t, for Request.Temperature.
func Temp(t float64) *float64 { return &t }

// Seed returns a pointer to s, for Request.Seed.
func Seed(s int64) *int64 { return &s }

// Samples is N with 0 read as 1.
func (r *Request) Samples() int {
	if r.N < 1 {
		return 1
	}
	return r.N
}

// Prompt renders the messages as plain text ("role: content" blocks). Useful
// for logs, traces and matching in tests.
func (r *Request) Prompt() string {
	var b strings.Builder
	for i, m := range r.Messages {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(string(m.Role))
		b.WriteString(": ")
		b.WriteString(m.Content)
	}
	return b.String()
}

// ConstraintKind names the shape a Constraint imposes.
type ConstraintKind string

const (
	ConstraintJSONSchema ConstraintKind = "json_schema"
	ConstraintRegex      ConstraintKind = "regex"
	ConstraintChoice     ConstraintKind = "choice"
	ConstraintGrammar    ConstraintKind = "grammar"
	// ConstraintTemplate is fixed text with holes, each hole its own
	// constraint (Guidance-style); local backend only.
	ConstraintTemplate ConstraintKind = "template"
	// ConstraintSpan allows only a span copied from Source (whole words),
	// or with NumbersOnly only a number that appears in it; local only.
	ConstraintSpan ConstraintKind = "span"
	// ConstraintAnyOf accepts what any of AnyOf accepts; local only.
	ConstraintAnyOf ConstraintKind = "any_of"
)

// Segment is one part of a template: fixed Text, or a Hole.
type Segment struct {
	Text string      `json:"text,omitempty"`
	Hole *Constraint `json:"hole,omitempty"`
}

// Constraint restricts what a model may output. Remote backends can express
// JSON schemas (as response_format); the local runtime enforces every kind at
// the token level.
type Constraint struct {
	Kind ConstraintKind `json:"kind"`
	// Name of a JSON schema (OpenAI requires one); defaults to "output".
	Name    string          `json:"name,omitempty"`
	Schema  json.RawMessage `json:"schema,omitempty"`
	Regex   string          `json:"regex,omitempty"`
	Choices []string        `json:"choices,omitempty"`
	Grammar string          `json:"grammar,omitempty"`
	// Template segments, for ConstraintTemplate.
	Segments []Segment `json:"segments,omitempty"`
	// Source text and NumbersOnly, for ConstraintSpan. With Words, the
	// span may be any sequence of words (with letters) and exact numbers
	// that occur in Source, joined by spaces and simple punctuation: looser
	// than a contiguous span, still grounded. Numbers keep their written
	// form (a decimal may be shortened); a run of capitalised words in
	// Source ("Rhode Island") is copied whole.
	Source      string `json:"source,omitempty"`
	NumbersOnly bool   `json:"numbers_only,omitempty"`
	Words       bool   `json:"words,omitempty"`
	// AnyOf lists the alternatives of ConstraintAnyOf.
	AnyOf []*Constraint `json:"any_of,omitempty"`
}

// JSONSchema returns a constraint that the output is JSON matching schema.
func JSONSchema(name string, schema json.RawMessage) *Constraint {
	return &Constraint{Kind: ConstraintJSONSchema, Name: name, Schema: schema}
}

// Check reports whether text satisfies the constraint, as far as this
// package can tell: JSON schemas (the subset of ValidateJSON), regexes (full
// match) and choices are checked; grammars are not.
func (c *Constraint) Check(text string) error {
	if c == nil {
		return nil
	}
	switch c.Kind {
	case ConstraintJSONSchema:
		return ValidateJSON(c.Schema, []byte(text))
	case ConstraintChoice:
		for _, s := range c.Choices {
			if s == text {
				return nil
			}
		}
		return fmt.Errorf("output %q is not one of the choices %q", clip.String(text, 80), c.Choices)
	case ConstraintRegex:
		return checkRegex(c.Regex, text)
	case ConstraintSpan:
		if text == "" || !strings.Contains(c.Source, text) {
			return fmt.Errorf("%w: output %q is not a span of the source text", ErrBadOutput, clip.String(text, 80))
		}
	}
	return nil
}

// Response is what a model returns: one Choice per sample.
type Response struct {
	Model   string   `json:"model,omitempty"`
	Choices []Choice `json:"choices"`
	Usage   Usage    `json:"usage"`
}

// Text is the first choice's text, or "" when there is none.
func (r *Response) Text() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Text
}

// Choice is one sample.
type Choice struct {
	Index        int            `json:"index"`
	Text         string         `json:"text"`
	ToolCalls    []ToolCall     `json:"tool_calls,omitempty"`
	FinishReason string         `json:"finish_reason,omitempty"`
	Logprobs     []TokenLogprob `json:"logprobs,omitempty"`
}

// Finish reasons.
const (
	FinishStop      = "stop"
	FinishLength    = "length"
	FinishToolCalls = "tool_calls"
)

// TokenLogprob is the log-probability of one generated token, with the most
// likely alternatives at that position.
type TokenLogprob struct {
	Token   string       `json:"token"`
	Logprob float64      `json:"logprob"`
	Top     []TopLogprob `json:"top,omitempty"`
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Add returns u + v.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.PromptTokens + v.PromptTokens, u.CompletionTokens + v.CompletionTokens, u.TotalTokens + v.TotalTokens}
}

// Model is a language model backend.
type Model interface {
	Generate(ctx context.Context, req Request) (*Response, error)
}

// Chunk is one piece of streamed output.
type Chunk struct {
	Choice int    `json:"choice"` // index of the sample this text belongs to
	Text   string `json:"text"`
}

// Streamer is a Model that can deliver output as it is produced. fn is called
// for each chunk in order; returning an error from fn stops the stream and
// Stream returns that error. The final Response is the same as Generate's.
type Streamer interface {
	Model
	Stream(ctx context.Context, req Request, fn func(Chunk) error) (*Response, error)
}

// Embedder turns texts into vectors, one per text, in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// ModelFunc adapts a function to Model.
type ModelFunc func(ctx context.Context, req Request) (*Response, error)

// Generate calls f.
func (f ModelFunc) Generate(ctx context.Context, req Request) (*Response, error) { return f(ctx, req) }

// Package tools defines what an agent can call: the Tool interface, a
// Registry that describes tools to models (as prompt text or as OpenAI
// function specs) and runs them, and the built-in tools: Calculator and
// Search.
//
// A custom tool is a few lines:
//
//	weather := tools.New("weather", "Current weather for a city.", func(ctx context.Context, city string) (string, error) {
//		return "sunny, 21°C in " + city, nil
//	})
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// Tool is something an agent can call with a text input.
type Tool interface {
	// Name is how the model calls the tool: lower case, no spaces.
	Name() string
	// Description tells the model what the tool does and what input it takes.
	Description() string
	// Schema is the JSON schema of the arguments object for native
	// function calling. Tools taking one string have one string property.
	Schema() json.RawMessage
	// Call runs the tool. The returned string is the observation shown to
	// the model; an error is shown to the model too, as "Error: ...".
	Call(ctx context.Context, input string) (string, error)
}

// InputConstrainer is a tool whose input has a known shape. An agent that
// constrains a local model's decoding (react.Agent.Constrained) holds the
// tool's input to the returned constraint; context is the text the input
// may draw on (the question and the observations so far). A nil constraint
// means no particular shape.
type InputConstrainer interface {
	InputConstraint(context string) *llm.Constraint
}

// Func is a Tool made from a function taking one string.
type Func struct {
	ToolName, ToolDescription string
	// Param names the single string argument in the schema (default "input").
	Param string
	Fn    func(ctx context.Context, input string) (string, error)
}

// New returns a Tool calling fn with the input text.
func New(name, description string, fn func(ctx context.Context, input string) (string, error)) *Func {
	return &Func{ToolName: name, ToolDescription: description, Fn: fn}
}

func (f *Func) Name() string        { return f.ToolName }
func (f *Func) Description() string { return f.ToolDescription }
func (f *Func) Schema() json.RawMessage {
	p := f.Param
	if p == "" {
		p = "input"
	}
	return StringSchema(p, f.ToolDescription)
}
func (f *Func) Call(ctx context.Context, input string) (string, error) { return f.Fn(ctx, input) }

// StringSchema is the JSON schema of an object with one required string
// property named param.
func StringSchema(param, description string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"type":                 "object",
		"properties":           map[string]any{param: map[string]any{"type": "string", "description": description}},
		"required":             []string{param},
		"additionalProperties": false,
	})
	return b
}

// Registry holds the tools an agent may use.
type Registry struct {
	tools  []Tool
	byName map[string]Tool
	// Timeout bounds each call (default 30s); the caller's context also applies.
	Timeout time.Duration
}

// ErrUnknownTool is returned (wrapped) for a tool name not in the registry.
var ErrUnknownTool = errors.New("unknown tool")

// NewRegistry returns a registry of tools; names must be unique
// (case-insensitively) and non-empty.
func NewRegistry(ts ...Tool) (*Registry, error) {
	r := &Registry{byName: map[string]Tool{}}
	for _, t := range ts {
		if err := r.Add(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers t.
func (r *Registry) Add(t Tool) error {
	name := strings.ToLower(strings.TrimSpace(t.Name()))
	if name == "" || strings.ContainsAny(name, " \t\n[]()") {
		return fmt.Errorf("tools: invalid tool name %q (no spaces or brackets)", t.Name())
	}
	if _, dup := r.byName[name]; dup {
		return fmt.Errorf("tools: duplicate tool name %q", name)
	}
	r.byName[name] = t
	r.tools = append(r.tools, t)
	return nil
}

// Get finds a tool by name, ignoring case and surrounding spaces.
func (r *Registry) Get(name string) (Tool, bool) {
	t, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]
	return t, ok
}

// Names lists the tool names in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.tools))
	for i, t := range r.tools {
		out[i] = t.Name()
	}
	return out
}

// Describe renders the tool list for a text prompt, one tool per line:
// "- name[input]: description".
func (r *Registry) Describe() string {
	var b strings.Builder
	for _, t := range r.tools {
		fmt.Fprintf(&b, "- %s[input]: %s\n", t.Name(), t.Description())
	}
	return b.String()
}

// Specs returns the tools as function specs for native function calling.
func (r *Registry) Specs() []llm.ToolSpec {
	out := make([]llm.ToolSpec, len(r.tools))
	for i, t := range r.tools {
		out[i] = llm.ToolSpec{Name: t.Name(), Description: t.Description(), Parameters: t.Schema()}
	}
	return out
}

// Call runs the named tool under a trace span. An unknown name gives an
// error wrapping ErrUnknownTool that lists the available tools.
func (r *Registry) Call(ctx context.Context, name, input string) (string, error) {
	t, ok := r.Get(name)
	if !ok {
		names := r.Names()
		sort.Strings(names)
		return "", fmt.Errorf("%w %q: available tools are %s", ErrUnknownTool, name, strings.Join(names, ", "))
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx, span := trace.Start(ctx, trace.KindTool, t.Name())
	span.Set("input", input)
	out, err := safeCall(ctx, t, input)
	span.Set("output", out)
	span.Finish(err)
	return out, err
}

// safeCall turns a panicking tool into an error: a bug in a custom tool
// must not take down the agent.
func safeCall(ctx context.Context, t Tool, input string) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = "", fmt.Errorf("tool %s panicked: %v", t.Name(), p)
		}
	}()
	return t.Call(ctx, input)
}

// InputFromArgs turns a native tool call's JSON arguments into the tool's
// text input: the value of the single property of an object, a bare JSON
// string, or else the JSON text itself.
func InputFromArgs(args string) string {
	args = strings.TrimSpace(args)
	var obj map[string]any
	if err := json.Unmarshal([]byte(args), &obj); err == nil {
		if len(obj) == 1 {
			for _, v := range obj {
				if s, ok := v.(string); ok {
					return s
				}
				b, _ := json.Marshal(v)
				return string(b)
			}
		}
		return args
	}
	var s string
	if err := json.Unmarshal([]byte(args), &s); err == nil {
		return s
	}
	return args
}

// Builtin returns a registry of the named built-in tools ("calculator",
// "search"; none named means both). search runs over the bundled US state
// facts.
func Builtin(names ...string) (*Registry, error) {
	if len(names) == 0 {
		names = []string{"search", "calculator"}
	}
	r := &Registry{byName: map[string]Tool{}}
	for _, n := range names {
		var t Tool
		switch strings.ToLower(strings.TrimSpace(n)) {
		case "calculator":
			t = &Calculator{}
		case "search":
			s, err := NewStateSearch()
			if err != nil {
				return nil, err
			}
			t = s
		default:
			return nil, fmt.Errorf("tools: no built-in tool %q (have calculator, search)", n)
		}
		if err := r.Add(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

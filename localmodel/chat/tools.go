package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/llm"
)

// ToolFormat is how a family's template asks the model to call tools.
type ToolFormat string

// Tool-call formats.
const (
	// NoTools: the template renders no tool definitions.
	NoTools ToolFormat = ""
	// Hermes: <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>
	// (Qwen2.5, Qwen3, SmolLM3, Hermes).
	Hermes ToolFormat = "hermes"
	// LlamaJSON: the whole reply is {"name": ..., "parameters": {...}}
	// (Llama 3.1+).
	LlamaJSON ToolFormat = "llama-json"
)

// ToolFormat reports how this template's model calls tools.
func (t *Template) ToolFormat() ToolFormat {
	if t.Jinja == nil || !t.Tools {
		return NoTools
	}
	switch {
	case t.source != "" && strings.Contains(t.source, "<tool_call>"):
		return Hermes
	case t.Family == Llama3 && strings.Contains(t.source, `"parameters"`):
		return LlamaJSON
	}
	return NoTools
}

// CallsTools reports whether the model calls tools in a known format.
func (t *Template) CallsTools() bool { return t.ToolFormat() != NoTools }

// ParseToolCalls splits a reply into its text and the tool calls it makes
// in this template's format. Arguments come back as JSON text. A reply
// without a well-formed call is all text.
func (t *Template) ParseToolCalls(reply string) (string, []llm.ToolCall) {
	switch t.ToolFormat() {
	case Hermes:
		return parseHermes(reply)
	case LlamaJSON:
		s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(reply), "<|python_tag|>"))
		if name, args, ok := decodeCall(s, "parameters"); ok {
			return "", []llm.ToolCall{{ID: "call_0", Name: name, Arguments: args}}
		}
	}
	return reply, nil
}

func parseHermes(reply string) (string, []llm.ToolCall) {
	const open, close = "<tool_call>", "</tool_call>"
	first := strings.Index(reply, open)
	if first < 0 {
		return reply, nil
	}
	text := strings.TrimSpace(reply[:first])
	var calls []llm.ToolCall
	rest := reply[first:]
	for {
		i := strings.Index(rest, open)
		if i < 0 {
			break
		}
		rest = rest[i+len(open):]
		body := rest
		if j := strings.Index(rest, close); j >= 0 {
			body, rest = rest[:j], rest[j+len(close):]
		} else {
			rest = ""
		}
		name, args, ok := decodeCall(strings.TrimSpace(body), "arguments")
		if !ok {
			return reply, nil // malformed: leave it to the caller as text
		}
		calls = append(calls, llm.ToolCall{ID: fmt.Sprintf("call_%d", len(calls)), Name: name, Arguments: args})
	}
	return text, calls
}

// decodeCall reads {"name": ..., argsKey: {...}} (argsKey or "arguments").
func decodeCall(s, argsKey string) (name, args string, ok bool) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&m); err != nil || dec.More() {
		return "", "", false
	}
	if err := json.Unmarshal(m["name"], &name); err != nil || name == "" {
		return "", "", false
	}
	raw := m[argsKey]
	if raw == nil {
		raw = m["arguments"]
	}
	if raw == nil {
		raw = json.RawMessage("{}")
	}
	if len(raw) > 0 && raw[0] == '"' { // arguments given as a JSON string
		var inner string
		if json.Unmarshal(raw, &inner) == nil && json.Valid([]byte(inner)) {
			raw = json.RawMessage(inner)
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return "", "", false
	}
	return name, buf.String(), true
}

// ToolCallConstraint forces a reply that calls one of the tools (only the
// named one when name is set), its arguments valid for the tool's
// parameter schema, in this template's format. Nil when the format is
// unknown.
func (t *Template) ToolCallConstraint(tools []llm.ToolSpec, name string) *llm.Constraint {
	f := t.ToolFormat()
	if f == NoTools {
		return nil
	}
	var alts []*llm.Constraint
	for _, tool := range tools {
		if name != "" && tool.Name != name {
			continue
		}
		params := tool.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		n, _ := json.Marshal(tool.Name)
		hole := llm.JSONSchema(tool.Name, params)
		var segs []llm.Segment
		switch f {
		case Hermes:
			segs = []llm.Segment{{Text: "<tool_call>\n{\"name\": " + string(n) + ", \"arguments\": "}, {Hole: hole}, {Text: "}\n</tool_call>"}}
		case LlamaJSON:
			segs = []llm.Segment{{Text: "{\"name\": " + string(n) + ", \"parameters\": "}, {Hole: hole}, {Text: "}"}}
		}
		alts = append(alts, &llm.Constraint{Kind: llm.ConstraintTemplate, Segments: segs})
	}
	switch len(alts) {
	case 0:
		return nil
	case 1:
		return alts[0]
	}
	return &llm.Constraint{Kind: llm.ConstraintAnyOf, AnyOf: alts}
}

// Package chat renders conversations the way open-weight chat models were
// trained to read them: a model's own Jinja chat template
// (tokenizer.chat_template) runs through the jinja package, as transformers
// would run it, with the messages, tools, bos_token and eos_token. Detect
// also recognises the template's family — ChatML (Qwen, SmolLM2), Llama 3,
// Llama 2/Mistral [INST], Zephyr (TinyLlama) — for its end-of-turn token,
// and falls back to that family's format when the template uses Jinja that
// the interpreter does not support.
package chat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/chat/jinja"
)

// Family is a chat-template family.
type Family string

// The families Detect recognises.
const (
	ChatML Family = "chatml"
	Llama3 Family = "llama3"
	Llama2 Family = "llama2"
	Zephyr Family = "zephyr"
)

// Template renders one family's format.
type Template struct {
	Family Family
	// DefaultSystem is written when the conversation has no system message
	// (Qwen2.5 and SmolLM2 templates carry one).
	DefaultSystem string
	// KnowledgeDate is Llama 3.1+'s "Cutting Knowledge Date" preamble date.
	KnowledgeDate string
	// ToolResponse wraps tool results in <tool_response> tags (Qwen).
	ToolResponse bool
	BOS, EOS     string
	// Jinja is the model's own template; nil when it did not parse (the
	// family format is written instead).
	Jinja *jinja.Template
	// JinjaErr says why the template did not parse.
	JinjaErr error
	// Tools reports whether the template renders tool definitions.
	Tools bool

	source string
}

// ErrUnknown is returned for a template of no known family.
var ErrUnknown = errors.New("unknown chat template")

var defaultSystem = regexp.MustCompile(`<\|im_start\|>system\\n([^'"{}\\]*)<\|im_end\|>`)

// Detect parses a model's Jinja chat template and recognises its family.
// A template of no known family that parses is used as it is; one that
// neither parses nor belongs to a family is ErrUnknown.
func Detect(src, bos, eos string) (*Template, error) {
	t := &Template{BOS: bos, EOS: eos, source: src}
	t.Jinja, t.JinjaErr = jinja.Parse(src)
	t.Tools = t.Jinja != nil && strings.Contains(src, "tools")
	switch {
	case strings.Contains(src, "<|im_start|>"):
		t.Family = ChatML
		if m := defaultSystem.FindStringSubmatch(src); m != nil {
			t.DefaultSystem = m[1]
		}
		t.ToolResponse = strings.Contains(src, "<tool_response>")
	case strings.Contains(src, "<|start_header_id|>"):
		t.Family = Llama3
		if strings.Contains(src, "Cutting Knowledge Date") {
			t.KnowledgeDate = "December 2023"
		}
	case strings.Contains(src, "[INST]"):
		t.Family = Llama2
	case strings.Contains(src, "<|user|>") && strings.Contains(src, "<|assistant|>"):
		t.Family = Zephyr
	default:
		if t.Jinja != nil {
			return t, nil
		}
		return nil, fmt.Errorf("%w (%d bytes; ChatML, Llama 3, Llama 2 and Zephyr are known): %v", ErrUnknown, len(src), t.JinjaErr)
	}
	return t, nil
}

// EndOfTurn is the token text that ends a turn in this family.
func (t *Template) EndOfTurn() string {
	switch t.Family {
	case ChatML:
		return "<|im_end|>"
	case Llama3:
		return "<|eot_id|>"
	}
	return t.EOS
}

// Render writes the conversation with the tools offered; with
// addGenerationPrompt it ends where the assistant's reply starts. A
// template that rejects a system message (Mistral's raises) gets it folded
// into the first user message instead.
func (t *Template) Render(msgs []llm.Message, tools []llm.ToolSpec, addGenerationPrompt bool) (string, error) {
	if t.Jinja == nil {
		return t.renderFamily(msgs, addGenerationPrompt)
	}
	out, err := t.Jinja.Render(Vars(msgs, tools, addGenerationPrompt, t.BOS, t.EOS))
	if errors.Is(err, jinja.ErrRaised) && len(msgs) > 1 && msgs[0].Role == llm.RoleSystem {
		folded := append([]llm.Message{}, msgs[1:]...)
		for i := range folded {
			if folded[i].Role == llm.RoleUser {
				folded[i].Content = msgs[0].Content + "\n\n" + folded[i].Content
				if out2, err2 := t.Jinja.Render(Vars(folded, tools, addGenerationPrompt, t.BOS, t.EOS)); err2 == nil {
					return out2, nil
				}
				break
			}
		}
	}
	return out, err
}

// Vars are the variables transformers passes a chat template: messages
// (role, content, tool_calls with arguments as objects, tool_call_id,
// name), tools in OpenAI's {"type": "function", "function": ...} form,
// add_generation_prompt, bos_token and eos_token.
func Vars(msgs []llm.Message, tools []llm.ToolSpec, addGenerationPrompt bool, bos, eos string) map[string]any {
	list := make([]any, len(msgs))
	for i, m := range msgs {
		d := jinja.NewDict("role", string(m.Role), "content", m.Content)
		if m.Name != "" {
			d.Set("name", m.Name)
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]any, len(m.ToolCalls))
			for j, c := range m.ToolCalls {
				var args any = c.Arguments
				if v, err := jinja.FromJSON([]byte(c.Arguments)); err == nil {
					args = v
				}
				calls[j] = jinja.NewDict("id", c.ID, "type", "function", "function", jinja.NewDict("name", c.Name, "arguments", args))
			}
			d.Set("tool_calls", calls)
		}
		if m.ToolCallID != "" {
			d.Set("tool_call_id", m.ToolCallID)
		}
		list[i] = d
	}
	vars := map[string]any{"messages": list, "add_generation_prompt": addGenerationPrompt, "bos_token": bos, "eos_token": eos}
	if len(tools) > 0 {
		ts := make([]any, len(tools))
		for i, tool := range tools {
			var params any = jinja.NewDict("type", "object", "properties", jinja.NewDict())
			if len(tool.Parameters) > 0 {
				if v, err := jinja.FromJSON(tool.Parameters); err == nil {
					params = v
				}
			}
			ts[i] = jinja.NewDict("type", "function", "function",
				jinja.NewDict("name", tool.Name, "description", tool.Description, "parameters", params))
		}
		vars["tools"] = ts
	}
	return vars
}

// renderFamily writes the family's format (templates the interpreter
// cannot run).
func (t *Template) renderFamily(msgs []llm.Message, addGenerationPrompt bool) (string, error) {
	var b strings.Builder
	switch t.Family {
	case ChatML:
		if t.DefaultSystem != "" && (len(msgs) == 0 || msgs[0].Role != llm.RoleSystem) {
			b.WriteString("<|im_start|>system\n" + t.DefaultSystem + "<|im_end|>\n")
		}
		for _, m := range msgs {
			role, content := string(m.Role), m.Content
			if m.Role == llm.RoleTool && t.ToolResponse {
				role, content = "user", "<tool_response>\n"+content+"\n</tool_response>"
			}
			b.WriteString("<|im_start|>" + role + "\n" + content + "<|im_end|>\n")
		}
		if addGenerationPrompt {
			b.WriteString("<|im_start|>assistant\n")
		}
	case Llama3:
		b.WriteString(t.BOS)
		if t.KnowledgeDate != "" {
			sys := ""
			if len(msgs) > 0 && msgs[0].Role == llm.RoleSystem {
				sys, msgs = strings.TrimSpace(msgs[0].Content), msgs[1:]
			}
			b.WriteString("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: " + t.KnowledgeDate + "\nToday Date: 26 Jul 2024\n\n" + sys + "<|eot_id|>")
		}
		for _, m := range msgs {
			role := string(m.Role)
			if m.Role == llm.RoleTool {
				role = "ipython"
			}
			b.WriteString("<|start_header_id|>" + role + "<|end_header_id|>\n\n" + strings.TrimSpace(m.Content) + "<|eot_id|>")
		}
		if addGenerationPrompt {
			b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
		}
	case Llama2:
		sys := ""
		if len(msgs) > 0 && msgs[0].Role == llm.RoleSystem {
			sys, msgs = msgs[0].Content, msgs[1:]
		}
		for i, m := range msgs {
			content := m.Content
			if i == 0 && sys != "" {
				content = "<<SYS>>\n" + sys + "\n<</SYS>>\n\n" + content
			}
			switch m.Role {
			case llm.RoleAssistant:
				b.WriteString(" " + strings.TrimSpace(content) + " " + t.EOS)
			default:
				b.WriteString(t.BOS + "[INST] " + strings.TrimSpace(content) + " [/INST]")
			}
		}
	case Zephyr:
		for _, m := range msgs {
			role := string(m.Role)
			if m.Role == llm.RoleTool {
				role = "user"
			}
			b.WriteString("<|" + role + "|>\n" + m.Content + t.EOS + "\n")
		}
		if addGenerationPrompt {
			b.WriteString("<|assistant|>\n")
		}
	}
	return b.String(), nil
}

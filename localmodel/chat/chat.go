// Package chat renders conversations the way open-weight chat models were
// trained to read them. Detect recognises the family of a model's Jinja
// chat template (tokenizer.chat_template) — ChatML (Qwen, SmolLM2), Llama
// 3, Llama 2 [INST], Zephyr (TinyLlama) — and Render writes what that
// template writes, including a default system prompt the template carries.
package chat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/llm"
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
}

// ErrUnknown is returned for a template of no known family.
var ErrUnknown = errors.New("unknown chat template")

var defaultSystem = regexp.MustCompile(`<\|im_start\|>system\\n([^'"{}\\]*)<\|im_end\|>`)

// Detect recognises a template's family from its Jinja source.
func Detect(src, bos, eos string) (*Template, error) {
	t := &Template{BOS: bos, EOS: eos}
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
		return nil, fmt.Errorf("%w (%d bytes; ChatML, Llama 3, Llama 2 and Zephyr are known)", ErrUnknown, len(src))
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

// Render writes the conversation; with addGenerationPrompt it ends where
// the assistant's reply starts.
func (t *Template) Render(msgs []llm.Message, addGenerationPrompt bool) (string, error) {
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

package localmodel

import (
	"strings"

	"github.com/ponder-go/ponder/llm"
)

// ChatTemplate renders a conversation as the text a chat model was trained
// on, control-token text included (tokenize it with EncodeSpecial).
type ChatTemplate interface {
	// Render writes the messages and the tools offered (templates that
	// know no tools ignore them); with addGenerationPrompt it ends where
	// the assistant's reply begins.
	Render(msgs []llm.Message, tools []llm.ToolSpec, addGenerationPrompt bool) (string, error)
}

// ToolTemplate is a ChatTemplate whose model calls tools natively: the
// local Backend then accepts requests with tools.
type ToolTemplate interface {
	ChatTemplate
	// CallsTools reports whether this template's model can call tools.
	CallsTools() bool
	// ParseToolCalls splits a reply into text and tool calls.
	ParseToolCalls(reply string) (string, []llm.ToolCall)
	// ToolCallConstraint forces a call of one of the tools (the named one
	// when name is set), or returns nil.
	ToolCallConstraint(tools []llm.ToolSpec, name string) *llm.Constraint
}

// RenderMessages is the plain-text rendering of models without a chat
// template: each message's content in order, separated by a blank line,
// and the model continues after the last one (so an agent's scratchpad in
// the last user message is simply continued).
func RenderMessages(msgs []llm.Message) string {
	parts := make([]string, 0, len(msgs))
	for _, m := range msgs {
		parts = append(parts, m.Content)
	}
	return strings.Join(parts, "\n\n")
}

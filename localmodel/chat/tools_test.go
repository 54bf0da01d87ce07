package chat

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
)

func detectFile(t *testing.T, name string) *Template {
	t.Helper()
	src, err := os.ReadFile("testdata/templates/" + name)
	require.NoError(t, err)
	tp, err := Detect(string(src), "<|begin_of_text|>", "<|eot_id|>")
	require.NoError(t, err)
	return tp
}

func TestParseToolCalls(t *testing.T) {
	qwen := detectFile(t, "qwen2.5.jinja")
	require.Equal(t, Hermes, qwen.ToolFormat())
	text, calls := qwen.ParseToolCalls("Let me look.\n<tool_call>\n{\"name\": \"search\", \"arguments\": {\"query\": \"Alaska\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1+1\"}}\n</tool_call>")
	assert.Equal(t, "Let me look.", text)
	require.Len(t, calls, 2)
	assert.Equal(t, llm.ToolCall{ID: "call_0", Name: "search", Arguments: `{"query":"Alaska"}`}, calls[0])
	assert.Equal(t, "calculator", calls[1].Name)
	// Cut at the stop token before the closing tag; arguments as a string.
	_, calls = qwen.ParseToolCalls("<tool_call>\n{\"name\": \"search\", \"arguments\": \"{\\\"query\\\": \\\"x\\\"}\"}")
	require.Len(t, calls, 1)
	assert.Equal(t, `{"query":"x"}`, calls[0].Arguments)
	// Malformed or absent: all text.
	for _, s := range []string{"no call here", "<tool_call>{\"name\": }</tool_call>", "<tool_call>{\"arguments\": {}}</tool_call>"} {
		text, calls := qwen.ParseToolCalls(s)
		assert.Empty(t, calls, s)
		assert.Equal(t, s, text)
	}

	l31 := detectFile(t, "llama3.1.jinja")
	require.Equal(t, LlamaJSON, l31.ToolFormat())
	_, calls = l31.ParseToolCalls(` {"name": "search", "parameters": {"query": "Texas"}}`)
	require.Len(t, calls, 1)
	assert.Equal(t, `{"query":"Texas"}`, calls[0].Arguments)
	text, calls = l31.ParseToolCalls("Texas has 29,145,505 people.")
	assert.Empty(t, calls)
	assert.Equal(t, "Texas has 29,145,505 people.", text)

	assert.Equal(t, NoTools, detectFile(t, "zephyr.jinja").ToolFormat())
	assert.Nil(t, detectFile(t, "zephyr.jinja").ToolCallConstraint([]llm.ToolSpec{{Name: "x"}}, ""))
}

func TestToolCallConstraint(t *testing.T) {
	qwen := detectFile(t, "qwen2.5.jinja")
	tools := []llm.ToolSpec{{Name: "search", Parameters: []byte(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`)}, {Name: "calculator"}}
	c := qwen.ToolCallConstraint(tools, "")
	require.NotNil(t, c)
	assert.Equal(t, llm.ConstraintAnyOf, c.Kind)
	assert.Len(t, c.AnyOf, 2)
	c = qwen.ToolCallConstraint(tools, "search")
	require.NotNil(t, c)
	assert.Equal(t, llm.ConstraintTemplate, c.Kind)
	assert.Nil(t, qwen.ToolCallConstraint(tools, "nosuch"))
}

package react_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
)

// A decomposed question runs each part as its own run, in order, and the
// join answers from their results; a refused part refuses the whole.
func TestAgentRunsDecomposedParts(t *testing.T) {
	decompose := func(q string) ([]string, func([]*react.Result) (string, bool), bool) {
		if !strings.HasPrefix(q, "Both:") {
			return nil, nil, false
		}
		return []string{"What is a?", "What is b?"}, func(rs []*react.Result) (string, bool) {
			return rs[0].Answer + " and " + rs[1].Answer, true
		}, true
	}
	m := llmtest.Replies(
		"Thought: look a up\nAction: lookup[a]",
		"Thought: done\nFinal Answer: a is 100",
		"Thought: done\nFinal Answer: b is 7",
	)
	a := &react.Agent{Model: m, Tools: longLookup(t), Decompose: decompose}
	res, err := a.Run(context.Background(), "Both: a and b?")
	require.NoError(t, err)
	assert.Equal(t, "a is 100 and b is 7", res.Answer)
	assert.Equal(t, "Both: a and b?", res.Question)
	assert.Equal(t, "What is a? What is b?", res.Asked)
	require.Len(t, res.Steps, 3, "the parts' steps, in order")
	assert.Equal(t, []int{1, 2, 3}, []int{res.Steps[0].Index, res.Steps[1].Index, res.Steps[2].Index})
	prompts := m.Calls()
	require.Len(t, prompts, 3)
	assert.Contains(t, prompts[2].Messages[len(prompts[2].Messages)-1].Content, "Question: What is b?")

	// The first part refused: the whole is refused, and the second part
	// never runs.
	m = llmtest.Replies("Thought: no\nFinal Answer: nothing")
	a = &react.Agent{Model: m, Tools: longLookup(t), Decompose: decompose, Refusal: "no idea",
		CheckAnswer: func(_, answer string, _ []react.Step) bool { return answer != "nothing" }}
	res, err = a.Run(context.Background(), "Both: a and b?")
	require.NoError(t, err)
	assert.True(t, res.Refused)
	assert.Equal(t, "no idea", res.Answer)
	assert.Len(t, m.Calls(), 1)

	// Other questions take the usual path.
	m = llmtest.Replies("Thought: done\nFinal Answer: 42")
	res, err = (&react.Agent{Model: m, Tools: longLookup(t), Decompose: decompose}).Run(context.Background(), "What is c?")
	require.NoError(t, err)
	assert.Equal(t, "42", res.Answer)
}

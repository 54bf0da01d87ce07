package react_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
)

// contextLimited answers like a backend whose context holds limit bytes
// of prompt: longer prompts get llm.ErrContextLength.
type contextLimited struct {
	inner   llm.Model
	limit   int
	prompts []string // every prompt it accepted
}

func (m *contextLimited) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	var b strings.Builder
	for _, msg := range req.Messages {
		b.WriteString(msg.Content)
	}
	if b.Len() > m.limit {
		return nil, &llm.Error{Kind: llm.ErrContextLength, Backend: "test", Msg: fmt.Sprintf("prompt of %d bytes does not fit %d", b.Len(), m.limit)}
	}
	m.prompts = append(m.prompts, b.String())
	return m.inner.Generate(ctx, req)
}

// longLookup answers each lookup with its fact first and 2,000 bytes of
// other text after it.
func longLookup(t *testing.T) *tools.Registry {
	reg, err := tools.NewRegistry(tools.New("lookup", "looks a letter up", func(_ context.Context, in string) (string, error) {
		return fmt.Sprintf("The value of %s is %d. ", in, 100*len(in)) + strings.Repeat("Other text. ", 170), nil
	}))
	require.NoError(t, err)
	return reg
}

func TestAgentCompactsATranscriptThatOutgrowsTheContext(t *testing.T) {
	replies := llmtest.Replies(
		"Thought: a\nAction: lookup[a]",
		"Thought: bb\nAction: lookup[bb]",
		"Thought: ccc\nAction: lookup[ccc]",
		"Thought: done\nFinal Answer: 600",
	)
	probe := &contextLimited{inner: llmtest.Replies("x"), limit: 1 << 30}
	_, _ = (&react.Agent{Model: probe, Tools: longLookup(t), MaxSteps: 1}).Run(context.Background(), "What is a+bb+ccc?")
	base := len(probe.prompts[0]) // the prompt with no steps
	// Room for the prompt and about two and a half observations: the
	// fourth step's transcript (three observations) does not fit whole.
	m := &contextLimited{inner: replies, limit: base + 5200}
	res, err := (&react.Agent{Model: m, Tools: longLookup(t)}).Run(context.Background(), "What is a+bb+ccc?")
	require.NoError(t, err)
	assert.Equal(t, "600", res.Answer)
	require.Len(t, res.Steps, 4)
	assert.False(t, res.Steps[2].Compacted)
	assert.True(t, res.Steps[3].Compacted, "the last step ran on a compacted transcript")
	last := m.prompts[len(m.prompts)-1]
	assert.Contains(t, last, "The value of a is 100. ...", "the oldest observation keeps its first sentence")
	assert.Contains(t, last, "The value of ccc is 300.")
	assert.Equal(t, 2*170, strings.Count(last, "Other text."), "the last two observations stay whole")
	// The result keeps every observation whole.
	assert.Contains(t, res.Steps[0].Observation, strings.Repeat("Other text. ", 170)[:200])

	// A context too small even for the compacted transcript ends the run
	// with a message that says so.
	m = &contextLimited{inner: llmtest.Replies("Thought: a\nAction: lookup[a]", "Thought: b\nAction: lookup[b]"), limit: base + 30}
	res, err = (&react.Agent{Model: m, Tools: longLookup(t)}).Run(context.Background(), "What is a+b?")
	require.ErrorIs(t, err, llm.ErrContextLength)
	assert.Contains(t, err.Error(), "outgrew the model's context")
	assert.Len(t, res.Steps, 1)
}

func TestCompactSteps(t *testing.T) {
	steps := []react.Step{
		{Index: 1, Action: "search", Input: "x", Observation: "First fact. More text.\nMore lines."},
		{Index: 2, Raw: "garbage", FormatError: true, Observation: "Error: no action"},
		{Index: 3, Action: "search", Input: "y", Observation: strings.Repeat("long ", 100)},
		{Index: 4, Action: "search", Input: "z", Observation: "Last. Whole."},
	}
	got := react.CompactSteps(steps, 1)
	require.Len(t, got, 3, "the unreadable reply is dropped")
	assert.Equal(t, "First fact. ...", got[0].Observation)
	assert.LessOrEqual(t, len(got[1].Observation), 160+len("…"))
	assert.Equal(t, "Last. Whole.", got[2].Observation)
	assert.Equal(t, "First fact. More text.\nMore lines.", steps[0].Observation, "the steps themselves are not changed")
	assert.Len(t, react.CompactSteps(steps, 9), 4, "keep beyond the length keeps all")
}

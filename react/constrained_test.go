package react_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/react"
)

// A randomly initialised local model, constrained, always produces steps the
// agent can read: a registered tool and an argument made of words and exact
// numbers from the context, or a final answer. Unconstrained, it produces
// noise.
func TestConstrainedStepsOnLocalModel(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: decodes agent steps with a 50,257-token vocabulary (10 s)")
	}
	net, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 1024, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 16}, 9)
	require.NoError(t, err)
	m, err := gpt2.Wrap(net, nil)
	require.NoError(t, err)
	be := &localmodel.Backend{Model: m}
	var prompts []string
	rec := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		prompts = append(prompts, req.Prompt())
		return be.Generate(ctx, req)
	})
	reg := registry(t)
	q := "How many times larger is California's population than Alaska's?"
	a := &react.Agent{Model: rec, Tools: reg, Constrained: true, MaxSteps: 3, StepTokens: 700, MaxFormatRetries: 1, Examples: []string{}}
	res, _ := a.Run(context.Background(), q)
	require.NotEmpty(t, res.Steps)
	word := regexp.MustCompile(`\pL[\pL\pN]*|\d[\d,]*(?:\.\d+)?`)
	for _, st := range res.Steps {
		require.False(t, st.FormatError, "step %d unreadable: %q", st.Index, st.Raw)
		if st.Final {
			continue
		}
		assert.Contains(t, []string{"search", "calculator"}, st.Action)
		context := prompts[st.Index-1]
		for _, w := range word.FindAllString(st.Input, -1) {
			assert.True(t, strings.Contains(context, w), "step %d argument word %q is not grounded", st.Index, w)
		}
	}
	t.Logf("first constrained step of a random model: %q", res.Steps[0].Raw)
}

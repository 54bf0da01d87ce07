package react

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/tools"
)

// A model whose runs differ by seed: runs 0, 2 and 3 answer 53.9 (in
// different words), run 1 answers 12, run 4 never writes a readable step.
func seededModel(t *testing.T) llm.Model {
	return &llmtest.Scripted{Rules: []llmtest.Rule{{ReplyFunc: func(r llm.Request, _ int) string {
		require.NotNil(t, r.Seed, "every sampled step carries a seed")
		require.NotNil(t, r.Temperature)
		assert.InDelta(t, 0.7, *r.Temperature, 1e-9)
		switch run := *r.Seed / 1000; run {
		case 0, 3:
			return "Thought: done.\nFinal Answer: California's population is about 53.9 times Alaska's."
		case 2:
			return "Thought: done.\nFinal Answer: About 53.90 times."
		case 1:
			return "Thought: done.\nFinal Answer: about 12 times."
		default:
			return fmt.Sprintf("gibberish %d", run)
		}
	}}}}
}

func TestVoteTakesThePlurality(t *testing.T) {
	reg, err := tools.NewRegistry(&tools.Calculator{})
	require.NoError(t, err)
	v := &Vote{Agent: &Agent{Model: seededModel(t), Tools: reg, MaxFormatRetries: 1}, N: 5}
	res, err := v.Run(context.Background(), "How many times larger is California's population than Alaska's?")
	require.NoError(t, err)
	assert.Equal(t, "California's population is about 53.9 times Alaska's.", res.Answer)
	assert.Equal(t, map[string]int{"53.9": 3, "12": 1}, res.Votes)
	assert.InDelta(t, 0.6, res.Agreement, 1e-9)
	require.Len(t, res.Runs, 5)
	assert.ErrorIs(t, res.Errors[4], ErrBadFormat, "the unreadable run casts no vote")
}

func TestVoteWithoutAnswersAndCancelled(t *testing.T) {
	reg, err := tools.NewRegistry(&tools.Calculator{})
	require.NoError(t, err)
	bad := &llmtest.Scripted{Rules: []llmtest.Rule{{Reply: "no format at all"}}}
	_, err = (&Vote{Agent: &Agent{Model: bad, Tools: reg, MaxFormatRetries: 0}, N: 3}).Run(context.Background(), "q")
	assert.ErrorIs(t, err, ErrNoVotes)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&Vote{Agent: &Agent{Model: seededModel(t), Tools: reg}, N: 3}).Run(ctx, "q")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = (&Vote{}).Run(context.Background(), "q")
	assert.Error(t, err)
}

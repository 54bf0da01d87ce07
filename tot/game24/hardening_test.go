package game24

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
)

// Hardening #9: proposals written as numbered or bulleted lists, with
// markdown, are read (they all yielded no step before).
func TestProposeReadsDecoratedLists(t *testing.T) {
	reply := "Here are possible next steps:\n1. 4 + 9 = 13 (left: 10 13 13)\n2) 13 - 10 = 3 (left: 3 4 9)\n- **10 - 4 = 6** (left: 6 9 13)\n* 9 * 4 = 36 (left: 10 13 36)\nStep 5: 13 - 9 = 4 (left: 4 4 10)\n(6) 10 + 13 = 23 (left: 4 9 23)\n4 * 10 = 40 (left: 9 13 40)"
	p := &ModelProposer{Model: llmtest.Replies(reply)}
	ts, err := p.Generate(context.Background(), "4 9 10 13")
	require.NoError(t, err)
	var got []string
	for _, th := range ts {
		got = append(got, th.Text)
	}
	assert.Equal(t, []string{"4 + 9 = 13 (left: 10 13 13)", "13 - 10 = 3 (left: 3 4 9)", "10 - 4 = 6 (left: 6 9 13)",
		"9 * 4 = 36 (left: 10 13 36)", "13 - 9 = 4 (left: 4 4 10)", "10 + 13 = 23 (left: 4 9 23)", "4 * 10 = 40 (left: 9 13 40)"}, got)
}

// Hardening #11: ms/puzzle was always 0 (the deferred duration went to a
// copy of the result).
func TestRunRecordsDuration(t *testing.T) {
	slow := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		time.Sleep(20 * time.Millisecond)
		return &llm.Response{Choices: []llm.Choice{{Text: "Answer: (4 + 9) + (13 - 10) = 16"}}}, nil
	})
	res, err := Run(context.Background(), slow, "io", []int{4, 9, 10, 13})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Duration, 20*time.Millisecond)
}

// FuzzLeft: any state text reads or fails with an error.
func FuzzLeft(f *testing.F) {
	f.Add("4 9 10 13\n4 + 9 = 13 (left: 10 13 13)")
	f.Add("1 1 1 1\n1 / 0 = 0 (left: 0 1 1)")
	f.Add("3/4 2\n3/4 * 2 = 3/2 (left: 3/2)")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = Left(s)
	})
}

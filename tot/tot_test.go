package tot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/tot"
	"github.com/ponder-go/ponder/tot/game24"
)

func TestBFSPrunesToBreadth(t *testing.T) {
	p := game24.Problem([]int{4, 9, 10, 13}, game24.Proposer(), game24.Evaluator())
	r, err := tot.BFS{Breadth: 2, Depth: 3, KeepGoing: true}.Search(context.Background(), p, tot.Budget{})
	require.NoError(t, err)
	assert.True(t, r.Solved)
	byDepth := map[int][2]int{} // depth -> kept, pruned
	for _, n := range r.Nodes {
		c := byDepth[n.Depth]
		if n.Pruned {
			c[1]++
		} else {
			c[0]++
		}
		byDepth[n.Depth] = c
	}
	for d := 1; d <= 3; d++ {
		assert.Equal(t, 2, byDepth[d][0], "depth %d keeps exactly the breadth", d)
		assert.Greater(t, byDepth[d][1], 0, "depth %d prunes the rest", d)
	}
	// Only kept nodes were expanded.
	for _, n := range r.Nodes {
		if n.Expanded {
			assert.False(t, n.Pruned, "node %d", n.ID)
		}
	}
	path := r.Path(r.Best)
	assert.Equal(t, 0, path[0].ID)
	assert.Len(t, path, 4)
}

func TestDFSPrunesBelowThresholdAndBacktracks(t *testing.T) {
	// States are strings of a's and b's; only "abb" is a solution; values
	// favour 'a' first, so DFS must back out of "aa…".
	gen := tot.GeneratorFunc(func(ctx context.Context, s string) ([]tot.Thought, error) {
		return []tot.Thought{{State: s + "a", Text: "a"}, {State: s + "b", Text: "b"}, {State: s + "x", Text: "x"}}, nil
	})
	eval := tot.EvaluatorFunc(func(ctx context.Context, s string) (float64, error) {
		switch {
		case strings.Contains(s, "x"):
			return 0, nil
		case strings.HasSuffix(s, "a"):
			return 0.9, nil
		}
		return 0.6, nil
	})
	p := tot.Problem{Initial: "", Generate: gen, Evaluate: eval, IsSolution: func(s string) bool { return s == "abb" }}
	r, err := tot.DFS{Threshold: 0.5, MaxDepth: 3}.Search(context.Background(), p, tot.Budget{})
	require.NoError(t, err)
	require.True(t, r.Solved)
	assert.Equal(t, "abb", r.Best.State)
	var pruned, expandedAA int
	for _, n := range r.Nodes {
		if strings.Contains(n.State, "x") {
			assert.True(t, n.Pruned)
			pruned++
		}
		if n.State == "aa" && n.Expanded {
			expandedAA++
		}
	}
	assert.Greater(t, pruned, 0)
	assert.Equal(t, 1, expandedAA, "the 'aa' branch was tried first and abandoned")
}

func TestEvaluationCache(t *testing.T) {
	var evals atomic.Int32
	gen := tot.GeneratorFunc(func(ctx context.Context, s string) ([]tot.Thought, error) {
		// Every state has the same two children: identical states repeat.
		return []tot.Thought{{State: "same-1"}, {State: "same-2"}}, nil
	})
	eval := tot.EvaluatorFunc(func(ctx context.Context, s string) (float64, error) {
		evals.Add(1)
		return float64(len(s)), nil
	})
	r, err := tot.BFS{Breadth: 2, Depth: 3, KeepGoing: true}.Search(context.Background(), tot.Problem{Initial: "root", Generate: gen, Evaluate: eval}, tot.Budget{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, evals.Load(), "two distinct states, evaluated once each")
	cached := 0
	for _, n := range r.Nodes {
		if n.Cached {
			cached++
		}
	}
	assert.Equal(t, len(r.Nodes)-1-2, cached)
}

// A model-backed search stops cleanly when its call budget runs out, with
// the best state so far.
func TestBudgetsAndCancellation(t *testing.T) {
	m := &llmtest.Scripted{Rules: []llmtest.Rule{
		{Contains: "Rate", ReplyFunc: func(r llm.Request, i int) string { return "likely" }},
		{Contains: "Continue", ReplyFunc: func(r llm.Request, i int) string { return fmt.Sprintf("step %d", i) }},
	}}
	p := tot.Problem{
		Initial:  "start",
		Generate: &tot.Sample{Model: m, K: 3, Prompt: chain.MustTemplate("g", "Continue: {{.state}}")},
		Evaluate: &tot.Value{Model: m, N: 2, Prompt: chain.MustTemplate("v", "Rate: {{.state}}")},
	}
	r, err := tot.BFS{Breadth: 3, Depth: 5}.Search(context.Background(), p, tot.Budget{Calls: 6, Workers: 1})
	require.NoError(t, err)
	assert.Contains(t, r.Stopped, "search budget exhausted: 6 model calls")
	assert.Equal(t, 6, r.Calls)
	assert.NotNil(t, r.Best)
	assert.Greater(t, r.Best.Depth, 0, "the best state so far is returned")

	r, err = tot.BFS{Breadth: 3, Depth: 50}.Search(context.Background(), p, tot.Budget{Tokens: 40})
	require.NoError(t, err)
	assert.Contains(t, r.Stopped, "40 tokens")

	slow := tot.GeneratorFunc(func(ctx context.Context, s string) ([]tot.Thought, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return nil, nil
		}
	})
	start := time.Now()
	r, err = tot.BFS{}.Search(context.Background(), tot.Problem{Initial: "s", Generate: slow, Evaluate: p.Evaluate}, tot.Budget{Time: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.Contains(t, r.Stopped, "time budget")
	assert.Less(t, time.Since(start), 2*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	r, err = tot.MCTS{}.Search(ctx, tot.Problem{Initial: "s", Generate: slow, Evaluate: p.Evaluate}, tot.Budget{})
	require.NoError(t, err)
	assert.Contains(t, r.Stopped, "context canceled")

	boom := errors.New("proposer broke")
	_, err = tot.BFS{}.Search(context.Background(), tot.Problem{Initial: "s", Evaluate: p.Evaluate,
		Generate: tot.GeneratorFunc(func(context.Context, string) ([]tot.Thought, error) { return nil, boom })}, tot.Budget{})
	assert.ErrorIs(t, err, boom)
}

func TestValueAndVoteEvaluators(t *testing.T) {
	m := &llmtest.Scripted{Rules: []llmtest.Rule{
		{Contains: "Rate: good", ReplyFunc: func(r llm.Request, i int) string { return []string{"reason\nsure", "hmm\nlikely"}[i%2] }},
		{Contains: "Rate: bad", Reply: "no way\nimpossible"},
		{Contains: "Which", ReplyFunc: func(r llm.Request, i int) string {
			return []string{"The best choice is 2", "The best choice is 2", "The best choice is 1", "garbage", "The best choice is 9"}[i]
		}},
	}}
	v := &tot.Value{Model: m, N: 2, Prompt: chain.MustTemplate("v", "Rate: {{.state}}")}
	ev, err := v.Evaluate(context.Background(), []string{"good", "bad"})
	require.NoError(t, err)
	assert.Equal(t, []float64{20, 1}, ev[0].Values)
	assert.InDelta(t, 10.5, ev[0].Value, 1e-9)
	assert.InDelta(t, 0.001, ev[1].Value, 1e-9)

	vote := &tot.Vote{Model: m, N: 5, Prompt: chain.MustTemplate("vote", "Which is best?\n{{.choices}}")}
	ev, err = vote.Evaluate(context.Background(), []string{"A", "B"})
	require.NoError(t, err)
	assert.Equal(t, 1, ev[0].Votes)
	assert.Equal(t, 2, ev[1].Votes)
	assert.InDelta(t, 0.4, ev[1].Value, 1e-9)
	assert.Contains(t, ev[0].Prompt, "Choice 1:\nA\n\nChoice 2:\nB")

	prop := &tot.Propose{Model: llmtest.Replies("step one\n\nstep two\nstep three"), Prompt: chain.MustTemplate("p", "Next for {{.state}}"), Max: 2}
	ths, err := prop.Generate(context.Background(), "s")
	require.NoError(t, err)
	require.Len(t, ths, 2)
	assert.Equal(t, "s\nstep one", ths[0].State)
	assert.Equal(t, "Next for s", ths[1].Prompt)
}

func TestExports(t *testing.T) {
	p := game24.Problem([]int{4, 9, 10, 13}, game24.Proposer(), game24.Evaluator())
	r, err := tot.BFS{Breadth: 2, Depth: 3}.Search(context.Background(), p, tot.Budget{})
	require.NoError(t, err)

	var js bytes.Buffer
	require.NoError(t, r.WriteJSON(&js))
	var back tot.Result
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, len(r.Nodes), len(back.Nodes))
	assert.Equal(t, r.Best.ID, back.Best.ID)
	assert.Equal(t, r.Answer, back.Answer)

	var dot bytes.Buffer
	require.NoError(t, r.WriteDOT(&dot))
	s := dot.String()
	assert.True(t, strings.HasPrefix(s, "digraph tot {"))
	assert.Equal(t, len(r.Nodes)-1, strings.Count(s, " -> "))
	assert.Contains(t, s, "style=\"filled,dashed\"")
	assert.Contains(t, s, "peripheries=2")

	var page bytes.Buffer
	require.NoError(t, r.WriteHTML(&page, "4 9 10 13"))
	h := page.String()
	assert.NotContains(t, h, "http://")
	assert.NotContains(t, h, "https://")
	assert.Contains(t, h, "<script>")
}

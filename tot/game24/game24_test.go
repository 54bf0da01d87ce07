package game24

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/tot"
)

func TestVerify(t *testing.T) {
	ok := map[string][]int{
		"8/(3-8/3)":                {3, 3, 8, 8},
		"(4 + 8) * (6 - 4)":        {4, 4, 6, 8},
		"4 * (10 + (9 - 13))":      {4, 9, 10, 13},
		"(13 - 9) * (10 - 4) = 24": {4, 9, 10, 13},
		"6 × 4 × 1 ÷ 1":            {1, 1, 4, 6},
	}
	for e, nums := range ok {
		assert.NoError(t, Verify(e, nums), e)
	}
	bad := map[string]string{
		"8/(3-8/3) + 0":       "uses [0 3 3 8 8]",
		"4 * 6":               "uses [4 6], the puzzle has [1 1 4 6]",
		"1 + 1 + 4 + 6":       "= 12, not 24",
		"-1 + 25":             "negative numbers",
		"4 ** 6":              "not allowed",
		"(4 + ":               "cannot parse",
		"4 // 6":              "malformed",
		"1 / (1 - 1) + 4 * 6": "division by zero",
	}
	for e, want := range bad {
		err := Verify(e, []int{1, 1, 4, 6})
		require.Error(t, err, e)
		assert.Contains(t, err.Error(), want, e)
	}
}

func TestPuzzleFileMatchesSolver(t *testing.T) {
	data, err := os.ReadFile("testdata/puzzles.txt")
	require.NoError(t, err)
	ps, err := ReadPuzzles(string(data))
	require.NoError(t, err)
	require.Len(t, ps, 1362, "1362 of the 1820 multisets of 1..13 can make 24")
	if testing.Short() {
		ps = ps[:100]
	}
	for _, p := range ps {
		s := Solve(p)
		require.NotEmpty(t, s, "%v", p)
		require.NoError(t, Verify(s, p))
	}
	assert.Empty(t, Solve([]int{1, 1, 1, 1}))
	assert.Empty(t, Solve([]int{13, 13, 13, 13}))
}

func TestReadPuzzlesFormats(t *testing.T) {
	ps, err := ReadPuzzles("Rank,Puzzles,AMT (s),Solved rate,1-sigma Mean (s),1-sigma STD (s)\n1,1 1 4 6,4.4,99.20%,4.67,1.48\n2,1 1 11 11,4.41,99.60%,4.68,1.45\n")
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 1, 4, 6}, {1, 1, 11, 11}}, ps)
	_, err = ReadPuzzles("1 2 3\n")
	assert.ErrorContains(t, err, "line 1: game24: puzzle \"1 2 3\": want 4 numbers, got 3")
}

func TestLeftAndAnswer(t *testing.T) {
	s := "4 9 10 13\n13 - 9 = 4 (left: 4 4 10)\n10 - 4 = 6 (left: 4 6)\n4 * 6 = 24 (left: 24)"
	vals, _, err := Left(s)
	require.NoError(t, err)
	require.Len(t, vals, 1)
	assert.True(t, IsSolution(s))
	assert.NoError(t, Verify(Answer(s), []int{4, 9, 10, 13}), Answer(s))
	for _, bad := range []string{"4 9 10 13\n13 - 9 = 5 (left: 4 5 10)", "4 9 10 13\n7 + 1 = 8 (left: 4 8 9)", "4 9 10 13\nhello"} {
		_, _, err := Left(bad)
		assert.Error(t, err, bad)
		assert.False(t, IsSolution(bad))
	}
}

// With a perfect proposer and an exact evaluator, BFS b=5 solves every
// solvable puzzle it is given; so do DFS, beam and MCTS.
func TestStrategiesSolveWithPerfectParts(t *testing.T) {
	data, err := os.ReadFile("testdata/puzzles.txt")
	require.NoError(t, err)
	all, err := ReadPuzzles(string(data))
	require.NoError(t, err)
	var sample [][]int
	for i := 0; i < len(all); i += 45 {
		sample = append(sample, all[i])
	}
	strategies := []tot.Strategy{tot.BFS{Breadth: 5, Depth: 3}, tot.DFS{Threshold: 0.5}, tot.Beam{Width: 5, Depth: 3}, tot.MCTS{Iterations: 200}}
	for _, p := range sample {
		for _, s := range strategies {
			r, err := s.Search(context.Background(), Problem(p, Proposer(), Evaluator()), tot.Budget{})
			require.NoError(t, err)
			require.True(t, r.Solved, "%T on %v", s, p)
			assert.NoError(t, Verify(r.Answer, p), "%T on %v: %s", s, p, r.Answer)
			assert.Empty(t, r.Stopped)
		}
	}
}

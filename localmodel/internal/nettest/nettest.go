// Package nettest checks what every architecture's forward pass must do,
// for the architectures' own tests.
package nettest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
)

// ForwardBatch checks that net.ForwardBatch gives each sequence the logits
// Forward gives it alone (within tol of the logit range), that it advances
// every state by its tokens, and that a batch with a bad member fails
// without changing any state. prompts are the sequences' histories
// (non-empty); steps are the tokens each is fed in the batch.
func ForwardBatch(t *testing.T, net localmodel.BatchNetwork, prompts, steps [][]int32, tol float64) {
	t.Helper()
	require.Equal(t, len(prompts), len(steps))
	states := make([]localmodel.State, len(prompts))
	alone := make([][]float32, len(prompts))
	for i, p := range prompts {
		states[i] = net.NewState()
		_, err := net.Forward(states[i], p, false)
		require.NoError(t, err)
		fork := states[i].Fork()
		alone[i], err = net.Forward(fork, steps[i], false)
		require.NoError(t, err)
	}
	got, err := net.ForwardBatch(states, steps)
	require.NoError(t, err)
	require.Len(t, got, len(prompts))
	for i := range got {
		require.Len(t, got[i], net.VocabSize())
		lo, hi, worst := math.Inf(1), math.Inf(-1), 0.0
		best, bestAlone := 0, 0
		for j, v := range alone[i] {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
			worst = max(worst, math.Abs(float64(v-got[i][j])))
			if v > alone[i][bestAlone] {
				bestAlone = j
			}
			if got[i][j] > got[i][best] {
				best = j
			}
		}
		assert.LessOrEqual(t, worst, tol*(hi-lo), "sequence %d: batched logits differ from its own by %.3g (range %.3g)", i, worst, hi-lo)
		assert.Equal(t, bestAlone, best, "sequence %d: arg-max", i)
		assert.Equal(t, len(prompts[i])+len(steps[i]), states[i].Len(), "sequence %d: length after the batch", i)
	}
	// A sequence's logits stay as they were while other sequences run a
	// batch (an implementation may keep them in the state, reused by that
	// state's next batch only).
	kept := make([][]float32, len(got))
	for i := range got {
		kept[i] = append([]float32(nil), got[i]...)
	}
	others := make([]localmodel.State, len(states))
	for i := range others {
		others[i] = states[i].Fork()
	}
	_, err = net.ForwardBatch(others, steps)
	require.NoError(t, err)
	for i := range got {
		assert.Equal(t, kept[i], got[i], "sequence %d: its logits changed when other sequences ran a batch", i)
	}
	// A batch naming one state twice, or holding an empty step, fails and
	// leaves every state as it was.
	lens := make([]int, len(states))
	for i, s := range states {
		lens[i] = s.Len()
	}
	_, err = net.ForwardBatch([]localmodel.State{states[0], states[0]}, [][]int32{{1}, {2}})
	assert.Error(t, err)
	bad := append([][]int32{{1}}, make([][]int32, len(states)-1)...)
	_, err = net.ForwardBatch(states, bad)
	assert.Error(t, err)
	_, err = net.ForwardBatch(states[:1], steps)
	assert.Error(t, err)
	empty, err := net.ForwardBatch(nil, nil)
	assert.NoError(t, err)
	assert.Empty(t, empty)
	for i, s := range states {
		assert.Equal(t, lens[i], s.Len(), "sequence %d changed by a failed batch", i)
	}
}

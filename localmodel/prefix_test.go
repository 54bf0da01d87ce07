package localmodel_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
)

// transcript is step k of a growing ReAct-style prompt.
func transcript(k int) string { return transcriptOf(0, k) }

// transcriptOf is step k of run i (runs differ from the first token).
func transcriptOf(i, k int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Question %d: How many times larger is California's population than Alaska's?\n", i)
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, "Thought: I need fact %d.\nAction: search[fact %d]\nObservation: Fact %d says the value is %d.\n", i, i, i, 1000+i*37)
	}
	return b.String()
}

// Reusing a cached prefix gives exactly what prefilling from scratch gives.
func TestPrefixReuseIsExact(t *testing.T) {
	m, err := agentmodel.Load() // one model (Load shares it): the cache setting is switched per call
	require.NoError(t, err)
	defer func() { m.PrefixCache = 0 }()
	for k := 0; k < 6; k++ {
		p := m.EncodeText(transcript(k))
		o := localmodel.GenerateOptions{MaxTokens: 12, N: 2, Sampling: localmodel.Sampling{Temperature: 0.7, Seed: uint64(k)}}
		m.PrefixCache = -1
		b, _, err := m.Generate(context.Background(), p, o)
		require.NoError(t, err)
		m.PrefixCache = 0
		a, _, err := m.Generate(context.Background(), p, o) // resumes from step k-1's prompt
		require.NoError(t, err)
		assert.Equal(t, b[0].Text, a[0].Text, "step %d", k)
		assert.Equal(t, b[1].Text, a[1].Text, "step %d", k)
		// The same prompt again: served whole from the cache.
		c, _, err := m.Generate(context.Background(), p, o)
		require.NoError(t, err)
		assert.Equal(t, b[0].Text, c[0].Text)
	}
}

// transcriptRuns numbers the benchmark's transcripts across sub-benchmarks
// and -count repetitions, so that no run finds its own prompts cached by
// an earlier one (which made later repetitions time a cache hit).
var transcriptRuns atomic.Int64

// BenchmarkReActStepPrefill is the time to first token of step k of a
// growing transcript, with and without prefix reuse (issue #14: flat in
// k with reuse).
func BenchmarkReActStepPrefill(b *testing.B) {
	for _, reuse := range []bool{false, true} {
		for _, k := range []int{1, 4, 8} {
			b.Run(fmt.Sprintf("reuse=%v/step=%d", reuse, k), func(b *testing.B) {
				m, err := agentmodel.Load() // shared: set the cache for this run
				require.NoError(b, err)
				m.PrefixCache = 0
				if !reuse {
					m.PrefixCache = -1
				}
				defer func() { m.PrefixCache = 0 }()
				o := localmodel.GenerateOptions{MaxTokens: 1}
				var total time.Duration
				for b.Loop() {
					// Steps 0..k-1 of a new run as the agent makes them,
					// then time step k (which extends step k-1's prompt).
					run := int(transcriptRuns.Add(1))
					for j := 0; j < k; j++ {
						_, _, _ = m.Generate(context.Background(), m.EncodeText(transcriptOf(run, j)), o)
					}
					p := m.EncodeText(transcriptOf(run, k))
					t0 := time.Now()
					_, _, _ = m.Generate(context.Background(), p, o)
					total += time.Since(t0)
				}
				b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/first-token")
			})
		}
	}
}

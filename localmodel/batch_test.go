package localmodel_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
)

// countingNet records how many sequences each ForwardBatch call carried.
type countingNet struct {
	localmodel.BatchNetwork
	calls, rows, widest atomic.Int64
}

func (c *countingNet) ForwardBatch(states []localmodel.State, tokens [][]int32) ([][]float32, error) {
	c.calls.Add(1)
	c.rows.Add(int64(len(states)))
	for {
		w := c.widest.Load()
		if int64(len(states)) <= w || c.widest.CompareAndSwap(w, int64(len(states))) {
			break
		}
	}
	return c.BatchNetwork.ForwardBatch(states, tokens)
}

// Concurrent greedy generations with batching on give the texts they give
// one at a time, and their decode steps really share passes.
func TestConcurrentGenerationsBatch(t *testing.T) {
	m := tinyModelCtx(t, 256)
	const streams = 6
	prompts := make([][]int32, streams)
	want := make([]string, streams)
	o := localmodel.GenerateOptions{MaxTokens: 24}
	for i := range prompts {
		prompts[i] = m.EncodeText(fmt.Sprintf("Stream %d asks about state number %d:", i, 7*i+3))
		out, _, err := m.Generate(context.Background(), prompts[i], o)
		require.NoError(t, err)
		want[i] = out[0].Text
	}
	net := &countingNet{BatchNetwork: m.Net.(localmodel.BatchNetwork)}
	m.Net, m.Batch = net, 8
	got := make([]string, streams)
	var wg sync.WaitGroup
	for i := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _, err := m.Generate(context.Background(), prompts[i], o)
			if assert.NoError(t, err) {
				got[i] = out[0].Text
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, want, got)
	t.Logf("%d batched passes carried %d steps, at most %d at once", net.calls.Load(), net.rows.Load(), net.widest.Load())
	assert.Greater(t, net.widest.Load(), int64(1), "no two streams ever shared a pass")
}

// The N samples of one call decode together when batching is on, and
// sample as they do one after another (each has its own seeded stream).
func TestSamplesOfOneCallBatch(t *testing.T) {
	m := tinyModelCtx(t, 256)
	p := m.EncodeText("Samples share this prompt:")
	o := localmodel.GenerateOptions{MaxTokens: 16, N: 4, Sampling: localmodel.Sampling{Temperature: 0.9, Seed: 5}}
	var streamed [4]string
	o.OnToken = func(i int, text string) error { streamed[i] += text; return nil }
	want, _, err := m.Generate(context.Background(), p, o)
	require.NoError(t, err)
	streamed = [4]string{}
	net := &countingNet{BatchNetwork: m.Net.(localmodel.BatchNetwork)}
	m.Net, m.Batch = net, 8
	got, usage, err := m.Generate(context.Background(), p, o)
	require.NoError(t, err)
	for i := range want {
		assert.Equal(t, want[i].Text, got[i].Text, "sample %d", i)
		assert.Equal(t, got[i].Text, streamed[i], "sample %d streamed", i)
	}
	assert.Equal(t, 4*16, usage.CompletionTokens)
	assert.Greater(t, net.widest.Load(), int64(1))
}

// A canceled call ends every sample of it and returns the cancellation.
func TestBatchedSamplesCancel(t *testing.T) {
	m := tinyModelCtx(t, 256)
	m.Batch = 8
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	o := localmodel.GenerateOptions{MaxTokens: 200, N: 3, OnToken: func(int, string) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	}}
	_, _, err := m.Generate(ctx, m.EncodeText("Cancel me"), o)
	require.ErrorIs(t, err, context.Canceled)
}

package cache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/cache"
	"github.com/ponder-go/ponder/trace"
)

// counting answers with the call number, so a cached answer is visible.
func counting(calls *atomic.Int64) llm.Model {
	return llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		n := calls.Add(1)
		return &llm.Response{Choices: []llm.Choice{{Text: fmt.Sprintf("answer %d", n)}}}, nil
	})
}

func TestCacheDeterministicCalls(t *testing.T) {
	var calls atomic.Int64
	dir := t.TempDir()
	m, err := cache.New(counting(&calls), cache.Options{Dir: dir, MaxEntries: 2})
	require.NoError(t, err)
	greedy := llm.Request{Messages: []llm.Message{llm.User("Capital of Alaska?")}, Temperature: llm.Temp(0)}
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	a, _ := m.Generate(ctx, greedy)
	b, _ := m.Generate(ctx, greedy)
	assert.Equal(t, "answer 1", a.Text())
	assert.Equal(t, "answer 1", b.Text(), "served from the cache")
	assert.EqualValues(t, 1, calls.Load())
	assert.Equal(t, 1, m.Hits)
	var hits int
	for _, s := range tr.Spans() {
		if s.Name == "cache" && s.Attrs["cache"] == "hit" {
			hits++
		}
	}
	assert.Equal(t, 1, hits, "hits are recorded in the trace")

	sampled := llm.Request{Messages: greedy.Messages, Temperature: llm.Temp(0.7)}
	m.Generate(ctx, sampled)
	m.Generate(ctx, sampled)
	assert.EqualValues(t, 3, calls.Load(), "sampling without a seed is never cached")
	seeded := llm.Request{Messages: greedy.Messages, Temperature: llm.Temp(0.7), Seed: llm.Seed(4)}
	m.Generate(ctx, seeded)
	m.Generate(ctx, seeded)
	assert.EqualValues(t, 4, calls.Load(), "a fixed seed is deterministic")
	other := llm.Request{Messages: []llm.Message{llm.User("Capital of Ohio?")}, Temperature: llm.Temp(0)}
	m.Generate(ctx, other)
	assert.EqualValues(t, 5, calls.Load())
	require.NoError(t, m.Close())

	// A new process: the disk store answers.
	m2, err := cache.New(counting(&calls), cache.Options{Dir: dir})
	require.NoError(t, err)
	defer m2.Close()
	c, _ := m2.Generate(context.Background(), greedy)
	assert.Equal(t, "answer 1", c.Text())
	assert.EqualValues(t, 5, calls.Load())
	_, err = filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
}

func ExampleNew() {
	model := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		fmt.Println("model called")
		return &llm.Response{Choices: []llm.Choice{{Text: "Juneau"}}}, nil
	})
	m, _ := cache.New(model, cache.Options{}) // memory only; Dir keeps entries on disk
	req := llm.Request{Messages: []llm.Message{llm.User("Capital of Alaska?")}, Temperature: llm.Temp(0)}
	for range 2 {
		resp, _ := m.Generate(context.Background(), req)
		fmt.Println(resp.Text())
	}
	// Output:
	// model called
	// Juneau
	// Juneau
}

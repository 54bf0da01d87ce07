package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	_ "github.com/ponder-go/ponder/localmodel/llama" // GGUF files
)

// BenchmarkStreams measures the aggregate decode rate of concurrent
// completions through the server, with batched decoding (streams share
// passes over the weights) and without. The model is GPT-2 124M with
// random weights, or the model file PONDER_BENCH_MODEL names (a GGUF, say).
// Each operation is that many concurrent requests of 64 tokens after a
// short prompt.
//
//	go test ./serve -run '^$' -bench Streams -benchtime 2x
//	PONDER_BENCH_MODEL=qwen05-Q4_0.gguf go test ./serve -run '^$' -bench Streams -benchtime 2x
func BenchmarkStreams(b *testing.B) {
	var m *localmodel.Model
	if path := os.Getenv("PONDER_BENCH_MODEL"); path != "" {
		var err error
		m, err = localmodel.Load(path)
		require.NoError(b, err)
		defer m.Close()
	} else {
		net, err := gpt2.NewRandom(gpt2.GPT2Small, 1)
		require.NoError(b, err)
		m, err = gpt2.Wrap(net, nil)
		require.NoError(b, err)
	}
	m.PrefixCache = -1 // every request prefills its own prompt
	const tokens = 64
	for _, streams := range []int{1, 8} {
		for _, batch := range []int{1, 8} {
			if streams == 1 && batch > 1 {
				continue
			}
			b.Run(fmt.Sprintf("streams=%d/batch=%d", streams, batch), func(b *testing.B) {
				m.Batch = batch
				hs := httptest.NewServer(New(&localmodel.Backend{Model: m}, Config{MaxConcurrent: streams, MaxTokens: tokens}))
				defer hs.Close()
				generated := 0
				for b.Loop() {
					var wg sync.WaitGroup
					counts := make([]int, streams)
					for i := range streams {
						wg.Add(1)
						go func() {
							defer wg.Done()
							counts[i] = complete(b, hs.URL, fmt.Sprintf("Request %d: the population of state %d is", i, 3*i+1), tokens)
						}()
					}
					wg.Wait()
					for _, c := range counts {
						generated += c
					}
				}
				b.ReportMetric(float64(generated)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

// complete posts one greedy completion that runs to max_tokens and
// returns how many tokens it generated.
func complete(b *testing.B, url, prompt string, tokens int) int {
	body, _ := json.Marshal(map[string]any{"model": "local", "prompt": prompt, "max_tokens": tokens, "temperature": 0})
	resp, err := http.Post(url+"/v1/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return 0
	}
	defer resp.Body.Close()
	var out struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		b.Errorf("status %d: %v", resp.StatusCode, err)
	}
	return out.Usage.CompletionTokens
}

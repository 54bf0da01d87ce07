package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/gpt2"
)

func withStdin(t *testing.T, s string) {
	old := stdin
	stdin = strings.NewReader(s)
	t.Cleanup(func() { stdin = old })
}

func TestTokenizeDetokenize(t *testing.T) {
	in := "Hello world\n  with spaces  \n"
	withStdin(t, in)
	out, errs, code := runCLI(t, "tokenize")
	require.Equal(t, 0, code, errs)
	var ids []int32
	require.NoError(t, json.Unmarshal([]byte(out), &ids))
	assert.Equal(t, []int32{15496, 995}, ids[:2])
	withStdin(t, out)
	back, errs, code := runCLI(t, "detokenize")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, in, back, "byte for byte, no trimming")

	withStdin(t, "")
	out, _, _ = runCLI(t, "tokenize")
	assert.Equal(t, "[]\n", out)
	withStdin(t, "[1, 99999]")
	_, errs, code = runCLI(t, "detokenize")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "outside the vocabulary")
}

func TestLogitsAndGenerate(t *testing.T) {
	m, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 16, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 8}, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, gpt2.WriteLLMC(path, m))
	out, errs, code := runCLI(t, "logits", "-weights", path, "-tokens", "1,2,3")
	require.Equal(t, 0, code, errs)
	var rows [][]float32
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 3)
	assert.Len(t, rows[0], 50257)
	want, err := m.Forward(m.NewState(), []int32{1, 2, 3}, true)
	require.NoError(t, err)
	assert.InDelta(t, want[2*50257+7], rows[2][7], 1e-6)

	out, errs, code = runCLI(t, "generate", "-weights", path, "-n", "5", "Hello")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "Hello"))
	out, errs, code = runCLI(t, "generate", "-weights", path, "-n", "10", "-choices", "yes,no", "Answer:")
	require.Equal(t, 0, code, errs)
	assert.True(t, out == "Answer:yes\n" || out == "Answer:no\n", out)
	out, errs, code = runCLI(t, "generate", "-weights", path, "-n", "10", "-regex", "[0-9]{3}", "N=")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^N=[0-9]{3}\n$`, out)
	_, errs, code = runCLI(t, "generate", "-weights", path, "-regex", "(", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "missing closing )")
	_, errs, code = runCLI(t, "logits", "-weights", path, "-tokens", "1,x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `"x" is not a token id`)
	_, errs, code = runCLI(t, "generate", "-weights", path, "-n", "40", strings.Repeat("word ", 20))
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "context window full")
}

// The local backend answers through the same CLI path as remote ones.
func TestAskWithLocalWeights(t *testing.T) {
	m, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 64, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 8}, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, gpt2.WriteLLMC(path, m))
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("PONDER_LOCAL_WEIGHTS", path)
	out, errs, code := runCLI(t, "ask", "-backend", "local", "Hi")
	require.Equal(t, 0, code, errs)
	assert.NotEmpty(t, out)
	_, errs, code = runCLI(t, "ask", "-backend", "local", "-model", filepath.Join(t.TempDir(), "nope.bin"), "Hi")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no such file")
}

func TestBenchQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the benchmark suite (15 s)")
	}
	out, errs, code := runCLI(t, "bench", "-quick", "-threads", "1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "prefill 64x768x768")
	assert.Contains(t, out, "decode (KV cache, after 64)")
	_, _, code = runCLI(t, "bench", "-threads", "x")
	assert.Equal(t, 1, code)
}

func TestServeCommand(t *testing.T) {
	m, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 64, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 8}, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, gpt2.WriteLLMC(path, m))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "-weights", path, "-addr", "127.0.0.1:0"}, &out, &errb) }()
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		time.Sleep(10 * time.Millisecond)
		if s := out.String(); strings.Contains(s, "http://") {
			url = strings.TrimSpace(s[strings.Index(s, "http://"):])
		}
	}
	require.NotEmpty(t, url, errb.String())
	resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	cancel()
	assert.Equal(t, 0, <-done)
	_, errs, code := runCLI(t, "serve")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "usage: ponder serve")
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Hardening (smaller): detokenize accepted null and trailing garbage.
func TestDetokenizeRejectsNullAndGarbage(t *testing.T) {
	for in, want := range map[string]string{
		"null":              "want a JSON array",
		"[15496, 995] junk": "unexpected text after the array",
		"[1][2]":            "unexpected text after the array",
		"{}":                "want a JSON array",
	} {
		withStdin(t, in)
		_, errs, code := runCLI(t, "detokenize")
		assert.Equal(t, 1, code, in)
		assert.Contains(t, errs, want, in)
	}
	withStdin(t, " [15496, 995]\n")
	out, errs, code := runCLI(t, "detokenize")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "Hello world", out)
}

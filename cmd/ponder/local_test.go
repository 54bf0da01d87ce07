package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
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
	m, err := localmodel.NewRandom(localmodel.Config{MaxSeq: 16, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 8}, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, localmodel.WriteLLMC(path, m))
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
	_, errs, code = runCLI(t, "logits", "-weights", path, "-tokens", "1,x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `"x" is not a token id`)
	_, errs, code = runCLI(t, "generate", "-weights", path, "-n", "40", strings.Repeat("word ", 20))
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "context window full")
}

// The local backend answers through the same CLI path as remote ones.
func TestAskWithLocalWeights(t *testing.T) {
	m, err := localmodel.NewRandom(localmodel.Config{MaxSeq: 64, Vocab: 50257, PaddedVocab: 50304, Layers: 1, Heads: 2, Channels: 8}, 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, localmodel.WriteLLMC(path, m))
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
	out, errs, code := runCLI(t, "bench", "-quick", "-threads", "1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "prefill 64x768x768")
	assert.Contains(t, out, "decode (KV cache, after 64)")
	_, _, code = runCLI(t, "bench", "-threads", "x")
	assert.Equal(t, 1, code)
}

package llama

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/internal/matmul"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// qwen05 is Qwen2.5-0.5B's exact shape.
var qwen05 = Config{Arch: "qwen2", Embd: 896, Layers: 24, Heads: 14, KVHeads: 2, FF: 4864, Context: 32768, RMSEps: 1e-6, RopeBase: 1000000, Vocab: 151936}

// llama1b is Llama-3.2-1B's shape (its context cut to 4,096 so the KV
// cache stays small): the shape of the Q4_K_M files people run, and one
// whose widths are multiples of the K-quants' 256 (Qwen2.5-0.5B's 896 is
// not).
var llama1b = Config{Arch: "llama", Embd: 2048, Layers: 16, Heads: 32, KVHeads: 8, FF: 8192, Context: 4096, RMSEps: 1e-5, RopeBase: 500000, Vocab: 128256}

// benchShape is the shape PONDER_BENCH_SHAPE names: qwen05 (default) or
// llama1b.
func benchShape() (string, Config) {
	if os.Getenv("PONDER_BENCH_SHAPE") == "llama1b" {
		return "llama1b", llama1b
	}
	return "qwen05", qwen05
}

// writeQwen05 writes a random-weight model of the bench shape in type typ,
// with GPT-2's vocabulary padded by unused tokens to the shape's size.
func writeQwen05(t testing.TB, dir string, typ gguf.Type) string {
	name, shape := benchShape()
	gpt2, err := tokenizer.GPT2()
	require.NoError(t, err)
	v := gpt2.Vocab()
	for len(v.Tokens) < shape.Vocab {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", len(v.Tokens)))
		v.Types = append(v.Types, tokenizer.TypeUnused)
	}
	var w gguf.Writer
	require.NoError(t, WriteRandom(&w, shape, typ, true, 1))
	tokenizer.WriteGGUF(&w, v, 50256, 50256, false, "")
	path := filepath.Join(dir, name+"-"+typ.String()+".gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

// TestQwen05Speed reports load time, prefill (128 tokens) and decode
// tok/s for Qwen2.5-0.5B's shape (PONDER_BENCH_SHAPE=llama1b for
// Llama-3.2-1B's), Ponder next to llama.cpp in the same run and on the
// same file (1 thread; PONDER_BENCH_THREADS=2 for two). It writes a file
// of 0.3-1.3 GB, so it runs only with PONDER_BENCH_QWEN=Q8_0 (or another
// type):
//
//	PONDER_BENCH_QWEN=Q8_0 go test ./localmodel/llama -run Qwen05Speed -v -timeout 30m
//	PONDER_BENCH_SHAPE=llama1b PONDER_BENCH_QWEN=Q4_K go test ./localmodel/llama -run Qwen05Speed -v -timeout 30m
func TestQwen05Speed(t *testing.T) {
	name := os.Getenv("PONDER_BENCH_QWEN")
	if name == "" {
		t.Skip("set PONDER_BENCH_QWEN=Q8_0 (or Q4_0, Q4_K) to run")
	}
	typ := typeNamed(name)
	dir := t.TempDir()
	t0 := time.Now()
	path := writeQwen05(t, dir, typ)
	t.Logf("wrote %s in %s", path, time.Since(t0).Round(time.Second))
	threads := 1
	if n, err := strconv.Atoi(os.Getenv("PONDER_BENCH_THREADS")); err == nil && n > 0 {
		threads = n
	}
	matmul.SetThreads(threads)
	t0 = time.Now()
	m, err := localmodel.Load(path)
	require.NoError(t, err)
	load := time.Since(t0)
	prompt := make([]int32, 128)
	for i := range prompt {
		prompt[i] = int32(100 + i*7%1000)
	}
	st := m.Net.NewState()
	t0 = time.Now()
	_, err = m.Net.Forward(st, prompt, false)
	require.NoError(t, err)
	prefill := time.Since(t0)
	const decode = 32
	t0 = time.Now()
	for i := 0; i < decode; i++ {
		_, err = m.Net.Forward(st, []int32{int32(200 + i)}, false)
		require.NoError(t, err)
	}
	dec := time.Since(t0)
	t.Logf("ponder %s: load %s, prefill %.1f tok/s, decode %.2f tok/s (%d threads)", typ, load.Round(time.Millisecond), 128/prefill.Seconds(), decode/dec.Seconds(), threads)
	ref := llamaCpp(t, refRequest{Model: path, Bench: map[string]int{"prompt": 128, "decode": 32, "threads": threads}})
	t.Logf("llama.cpp %s: load %.0f ms, %s", typ, ref.LoadMs, ref.Bench)
}

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

// writeQwen05 writes a random-weight model of that shape in type typ,
// with GPT-2's vocabulary padded by unused tokens to 151,936.
func writeQwen05(t testing.TB, dir string, typ gguf.Type) string {
	gpt2, err := tokenizer.GPT2()
	require.NoError(t, err)
	v := gpt2.Vocab()
	for len(v.Tokens) < qwen05.Vocab {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", len(v.Tokens)))
		v.Types = append(v.Types, tokenizer.TypeUnused)
	}
	var w gguf.Writer
	require.NoError(t, WriteRandom(&w, qwen05, typ, true, 1))
	tokenizer.WriteGGUF(&w, v, 50256, 50256, false, "")
	path := filepath.Join(dir, "qwen05-"+typ.String()+".gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

// TestQwen05Speed reports load time, prefill (128 tokens) and decode
// tok/s for Qwen2.5-0.5B's shape, Ponder next to llama.cpp in the same run
// and on the same file (1 thread; PONDER_BENCH_THREADS=2 for two). It writes a ~0.5 GB file, so it runs
// only with PONDER_BENCH_QWEN=Q8_0 (or another type):
//
//	PONDER_BENCH_QWEN=Q8_0 go test ./localmodel/llama -run Qwen05Speed -v -timeout 30m
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

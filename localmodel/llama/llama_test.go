package llama

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/internal/nettest"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// small is a shape with every feature on: GQA (4 heads, 2 KV heads) and
// rows that are whole K-quant blocks.
func small(arch string) Config {
	return Config{Arch: arch, Embd: 256, Layers: 2, Heads: 4, KVHeads: 2, FF: 512, Context: 256, RMSEps: 1e-6, RopeBase: 10000}
}

// smallBPE is a small (263-token) byte-level BPE vocabulary (small models write and
// load fast; GPT-2's full vocabulary is tested in TestTokenizerMatchesLlamaCpp).
func smallBPE(t testing.TB) *tokenizer.BPE {
	t.Helper()
	tok, err := tokenizer.TrainBPE([]string{"The quick brown fox jumps over the lazy dog. Hello world, hello Ponder: 39,538,223 people live in California."}, 400, false, tokenizer.EndOfText)
	require.NoError(t, err)
	return tok
}

// writeModel writes a random model with a small byte-level vocabulary.
func writeModel(t testing.TB, c Config, typ gguf.Type, tied bool) string {
	t.Helper()
	tok := smallBPE(t)
	v := tok.Vocab()
	c.Vocab = len(v.Tokens)
	var w gguf.Writer
	require.NoError(t, WriteRandom(&w, c, typ, tied, 42))
	eot, _ := tok.SpecialID(tokenizer.EndOfText)
	tokenizer.WriteGGUF(&w, v, eot, eot, false, "")
	path := filepath.Join(t.TempDir(), c.Arch+"-"+typ.String()+".gguf")
	require.NoError(t, w.WriteFile(path))
	return path
}

type refRequest struct {
	Model       string    `json:"model"`
	Logits      [][]int32 `json:"logits,omitempty"`
	Tokenize    []string  `json:"tokenize,omitempty"`
	Special     bool      `json:"special,omitempty"`
	ContextSize int       `json:"contextSize,omitempty"`
	Bench       any       `json:"bench,omitempty"`
}

type refResponse struct {
	LoadMs float64         `json:"loadMs"`
	Logits [][][]float32   `json:"logits"`
	Tokens [][]int32       `json:"tokens"`
	Bench  json.RawMessage `json:"bench"`
}

// llamaCpp runs testdata/llamacpp/ref.mjs: real llama.cpp through
// node-llama-cpp's prebuilt CPU binary (.ci/run installs it; tests skip
// without it unless PONDER_REQUIRE_NPM is set).
func llamaCpp(t testing.TB, req refRequest) refResponse {
	t.Helper()
	resps := llamaCppBatch(t, []refRequest{req})
	return resps[0]
}

// llamaCppBatch answers several requests in one llama.cpp process.
func llamaCppBatch(t testing.TB, reqs []refRequest) []refResponse {
	t.Helper()
	dir, _ := filepath.Abs("testdata/llamacpp")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-llama-cpp")); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatalf("node-llama-cpp missing: npm install --ignore-scripts --prefix %s", dir)
		}
		t.Skip("node-llama-cpp not installed (npm install --ignore-scripts --prefix localmodel/llama/testdata/llamacpp)")
	}
	body, _ := json.Marshal(map[string]any{"batch": reqs})
	cmd := exec.Command("node", filepath.Join(dir, "ref.mjs"))
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "NODE_LLAMA_CPP_SKIP_DOWNLOAD=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var resps []refResponse
	require.NoError(t, json.Unmarshal(out, &resps))
	require.Len(t, resps, len(reqs))
	return resps
}

func load(t testing.TB, path string) *localmodel.Model {
	t.Helper()
	m, err := localmodel.Load(path)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

// probe is 20 token ids spread over the small vocabulary.
var probe = func() []int32 {
	p := make([]int32, 20)
	for i := range p {
		p[i] = int32(32 + i*37%230)
	}
	return p
}()

// compare reports the largest logit difference relative to the logit
// range, the share of positions with the same arg-max, and the mean KL
// divergence of llama.cpp's distribution from ours.
func compare(ours, ref [][]float32) (relDiff, agree, kl float64) {
	same := 0
	for p := range ref {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range ref[p] {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
		worst := 0.0
		for i, v := range ref[p] {
			worst = math.Max(worst, math.Abs(float64(v-ours[p][i])))
		}
		relDiff = math.Max(relDiff, worst/(hi-lo))
		if argmax(ours[p]) == argmax(ref[p]) {
			same++
		}
		kl += klDiv(ref[p], ours[p])
	}
	return relDiff, float64(same) / float64(len(ref)), kl / float64(len(ref))
}

func argmax(x []float32) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

func logSoftmax(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) - m - math.Log(s)
	}
	return out
}

func klDiv(p, q []float32) float64 {
	lp, lq := logSoftmax(p), logSoftmax(q)
	k := 0.0
	for i := range lp {
		k += math.Exp(lp[i]) * (lp[i] - lq[i])
	}
	return k
}

// TestLogitsMatchLlamaCpp runs random-weight models of every architecture
// and tensor type through Ponder and llama.cpp and compares the logits at
// every position of a prompt.
func TestLogitsMatchLlamaCpp(t *testing.T) {
	types := []gguf.Type{gguf.F32, gguf.F16, gguf.BF16, gguf.Q8_0, gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K}
	archs := []string{"llama", "qwen2", "qwen3"}
	if testing.Short() {
		types = []gguf.Type{gguf.F32, gguf.Q4_K}
	}
	var reqs []refRequest
	var names []string
	for _, arch := range archs {
		for _, typ := range types {
			path := writeModel(t, small(arch), typ, typ != gguf.F32)
			reqs = append(reqs, refRequest{Model: path, Logits: [][]int32{probe}})
			names = append(names, arch+"/"+typ.String())
		}
	}
	refs := llamaCppBatch(t, reqs)
	for i, name := range names {
		arch, typName, _ := strings.Cut(name, "/")
		path, ref := reqs[i].Model, refs[i]
		t.Run(name, func(t *testing.T) {
			typ := typeNamed(typName)
			{
				m := load(t, path)
				lg, err := m.Net.Forward(m.Net.NewState(), probe, true)
				require.NoError(t, err)
				V := m.Net.VocabSize()
				ours := make([][]float32, len(probe))
				for i := range ours {
					ours[i] = lg[i*V : (i+1)*V]
				}
				require.Len(t, ref.Logits[0], len(probe))
				rel, agree, kl := compare(ours, ref.Logits[0])
				t.Logf("%s %s: max |diff| %.2e of the logit range, arg-max agrees at %.0f%%, mean KL %.2e", arch, typ, rel, agree*100, kl)
				switch typ {
				case gguf.F32, gguf.F16:
					assert.LessOrEqual(t, rel, 1e-3)
				default:
					// Both sides quantize activations to 8 bits, and a
					// float-rounding difference that flips one activation's
					// rounding spreads through a random-weight network.
					assert.GreaterOrEqual(t, agree, 0.99)
					assert.Less(t, kl, 1e-2)
				}
			}
		})
	}
}

func typeNamed(s string) gguf.Type {
	for t := gguf.Type(0); t < 40; t++ {
		if t.Known() && t.String() == s {
			return t
		}
	}
	return 255
}

func TestGenerateThroughRuntime(t *testing.T) {
	path := writeModel(t, small("qwen2"), gguf.Q8_0, true)
	m := load(t, path)
	out, usage, err := m.Generate(context.Background(), m.EncodeText("Hello world"), localmodel.GenerateOptions{MaxTokens: 8, N: 2})
	require.NoError(t, err)
	assert.Len(t, out, 2)
	assert.Equal(t, out[0].Tokens, out[1].Tokens, "greedy samples agree")
	assert.Equal(t, 16, usage.CompletionTokens)
}

// A batch of sequences (one token each, and one feeding three) gets the
// logits each gets alone: bit for bit in Q4_0 and Q8_0, whose four-token
// kernels equal their one-token kernels; the arg-max in every type.
func TestForwardBatchMatchesForward(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.F32, gguf.Q4_0, gguf.Q8_0, gguf.Q4_K} {
		t.Run(typ.String(), func(t *testing.T) {
			m := load(t, writeModel(t, small("qwen3"), typ, true))
			tol := 1e-4
			switch typ {
			case gguf.Q4_0, gguf.Q8_0:
				tol = 0
			case gguf.Q4_K:
				// As in llama.cpp, rows in groups of four round as its
				// gemm, the rest as its gemv: a sequence's rounding
				// depends on where the batch puts it, and a random
				// network spreads one flipped activation.
				tol = 2e-2
			}
			nettest.ForwardBatch(t, m.Net.(localmodel.BatchNetwork),
				[][]int32{probe[:3], probe[5:17], probe[2:3], probe[9:11], probe[1:8]},
				[][]int32{{40}, {41}, {42, 43, 44}, {45}, {46}}, tol)
		})
	}
}

// A decode step allocates nothing but the logits it returns and the KV
// cache's growth (a doubling now and then, averaged in): the activations,
// their quantized copies, attention's scores and the fp32 kernels' sums
// come from pools, the work handed to other goroutines is pooled structs
// (not closures), and matmul.ParallelRanges allocates nothing. A pool
// emptied by a garbage collection refills now and then, which the bound
// allows for.
func TestDecodeStepAllocatesLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q4_K, gguf.F32} {
		m := load(t, writeModel(t, small("qwen2"), typ, false))
		net := m.Net
		s := net.NewState()
		_, err := net.Forward(s, probe[:8], false)
		require.NoError(t, err)
		const steps = 100
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range steps {
			_, err := net.Forward(s, probe[i%len(probe):i%len(probe)+1], false)
			require.NoError(t, err)
		}
		runtime.ReadMemStats(&after)
		allocs := float64(after.Mallocs-before.Mallocs) / steps
		bytes := float64(after.TotalAlloc-before.TotalAlloc) / steps
		logits := float64(4 * net.VocabSize())
		t.Logf("%s: %.0f allocations and %.0f bytes a decoded token (logits %.0f bytes)", typ, allocs, bytes, logits)
		c := small("qwen2")
		assert.LessOrEqual(t, allocs, 8.0, typ.String())
		// KV cache growth: 2·KVHeads·HeadDim floats a layer a token,
		// tripled at most by the doubling reallocations. One layer's
		// activations (x, its norm, q, k, v, attention, projection, gate
		// and up) are 10 KB here, 12 KB with their quantized copies: a
		// step that allocated them would pass 4 KB a layer.
		kv := float64(3 * 2 * 4 * c.KVHeads * (c.Embd / c.Heads) * c.Layers)
		assert.LessOrEqual(t, bytes, logits+kv+float64(4096*c.Layers), typ.String())
	}
}

// A batched decode step keeps each sequence's logits in its state from
// step to step instead of allocating them anew: eight sequences of a
// 152k-token vocabulary would take 4.8 MB of fresh memory a step, whose
// page faults cost more than the step's attention.
func TestBatchedStepReusesLogits(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	// A vocabulary padded to 16,384 tokens, so that the logits (256 KB a
	// step) outweigh the step's other allocations (the KV caches' growth).
	v := smallBPE(t).Vocab()
	for len(v.Tokens) < 16384 {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", len(v.Tokens)))
		v.Types = append(v.Types, tokenizer.TypeUnused)
	}
	c := small("qwen2")
	c.Vocab = len(v.Tokens)
	var w gguf.Writer
	require.NoError(t, WriteRandom(&w, c, gguf.Q8_0, false, 42))
	tokenizer.WriteGGUF(&w, v, 0, 0, false, "")
	path := filepath.Join(t.TempDir(), "wide.gguf")
	require.NoError(t, w.WriteFile(path))
	m := load(t, path)
	net := m.Net.(*Model)
	states := make([]localmodel.State, 4)
	steps := make([][]int32, len(states))
	for i := range states {
		states[i] = net.NewState()
		_, err := net.Forward(states[i], probe[i:i+4], false)
		require.NoError(t, err)
	}
	step := func(i int) [][]float32 {
		for j := range steps {
			steps[j] = probe[(i+j)%len(probe) : (i+j)%len(probe)+1]
		}
		got, err := net.ForwardBatch(states, steps)
		require.NoError(t, err)
		return got
	}
	first := step(0)
	const n = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 1; i <= n; i++ {
		got := step(i)
		assert.Same(t, &first[0][0], &got[0][0], "step %d: a new logits buffer", i)
	}
	runtime.ReadMemStats(&after)
	perStep := float64(after.TotalAlloc-before.TotalAlloc) / n
	logits := float64(4 * len(states) * net.VocabSize())
	t.Logf("%.0f bytes a batched step (the batch's logits: %.0f)", perStep, logits)
	assert.Less(t, perStep, logits/2)
}

// Fused projections (q, k and v; gate and up, one pass each) give the
// logits the separate matrices give, bit for bit, for every interleaved
// type; the fused matrices exist where the parts are interleaved alike.
func TestFusedProjectionsMatchSeparate(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q4_0, gguf.Q5_0, gguf.Q4_K} {
		m := load(t, writeModel(t, small("qwen2"), typ, false))
		net := m.Net.(*Model)
		require.NotNil(t, net.layers[0].qkv, typ.String())
		require.NotNil(t, net.layers[0].gateUp, typ.String())
		prompt := probe[:12]
		fused, err := net.Forward(net.NewState(), prompt, true)
		require.NoError(t, err)
		for i := range net.layers {
			net.layers[i].qkv, net.layers[i].gateUp = nil, nil
		}
		separate, err := net.Forward(net.NewState(), prompt, true)
		require.NoError(t, err)
		assert.Equal(t, separate, fused, typ.String())
	}
}

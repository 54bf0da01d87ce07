package gpt2

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/internal/nettest"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

var tiny = Config{MaxSeq: 32, Vocab: 50257, PaddedVocab: 50304, Layers: 2, Heads: 2, Channels: 16}

func tinyModel(t testing.TB) *Model { return tinyModelCtx(t, tiny.MaxSeq) }

func tinyModelCtx(t testing.TB, ctx int) *Model {
	t.Helper()
	c := tiny
	c.MaxSeq = ctx
	m, err := NewRandom(c, 7)
	require.NoError(t, err)
	// Make the random model opinionated enough that greedy text varies.
	for i := range m.Params.WTE {
		m.Params.WTE[i] *= 20
	}
	return m
}

// runtime wraps a network with GPT-2's tokenizer for the generation loop.
func runtime(t testing.TB, m *Model) *localmodel.Model {
	t.Helper()
	lm, err := Wrap(m, nil)
	require.NoError(t, err)
	return lm
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestKVCacheMatchesFullRecompute(t *testing.T) {
	m := tinyModel(t)
	toks := []int32{464, 3290, 318, 257, 1332, 286, 262, 6193, 13, 632}
	full, err := m.Forward(m.NewState(), toks, true)
	require.NoError(t, err)
	V := m.Config.Vocab
	st := m.NewState()
	for i, tok := range toks {
		lg, err := m.Forward(st, []int32{tok}, false)
		require.NoError(t, err)
		assert.Less(t, maxDiff(lg, full[i*V:(i+1)*V]), 1e-4, "position %d", i)
	}
	// Prefill in two chunks equals one.
	st2 := m.NewState()
	_, err = m.Forward(st2, toks[:4], false)
	require.NoError(t, err)
	lg, err := m.Forward(st2, toks[4:], true)
	require.NoError(t, err)
	assert.Less(t, maxDiff(lg, full[4*V:]), 1e-4)

	// A fork continues independently and identically.
	base := m.NewState()
	_, err = m.Forward(base, toks[:5], false)
	require.NoError(t, err)
	f := base.Fork()
	a, _ := m.Forward(base, toks[5:6], false)
	b, _ := m.Forward(f, toks[5:6], false)
	assert.Equal(t, a, b)
	c, _ := m.Forward(f, []int32{11}, false)
	assert.NotEqual(t, a, c)
	assert.Equal(t, 6, base.Len())

	// A truncated state continues as if it had only seen what it keeps.
	tr := m.newState()
	_, err = m.Forward(tr, toks, false)
	require.NoError(t, err)
	tr.Truncate(4)
	other := []int32{11, 612, 373}
	lg, err = m.Forward(tr, other, true)
	require.NoError(t, err)
	fresh := m.NewState()
	_, err = m.Forward(fresh, toks[:4], false)
	require.NoError(t, err)
	want, err := m.Forward(fresh, other, true)
	require.NoError(t, err)
	assert.Less(t, maxDiff(lg, want), 1e-4, "after Truncate(4)")
}

func TestContextOverflowIsAnError(t *testing.T) {
	m := tinyModel(t)
	st := m.NewState()
	_, err := m.Forward(st, make([]int32, 32), false)
	require.NoError(t, err)
	_, err = m.Forward(st, []int32{1}, false)
	assert.ErrorIs(t, err, localmodel.ErrContextFull)
	_, err = m.Forward(m.NewState(), []int32{60000}, false)
	assert.ErrorContains(t, err, "token 60000 at position 0 is outside the vocabulary of 50257")
	_, _, err = runtime(t, m).Generate(context.Background(), make([]int32, 40), localmodel.GenerateOptions{})
	assert.ErrorIs(t, err, localmodel.ErrContextFull)
}

func TestCheckpointFormatsRoundTrip(t *testing.T) {
	m := tinyModel(t)
	dir := t.TempDir()
	toks := []int32{15496, 11, 995, 0}
	want, err := m.Forward(m.NewState(), toks, true)
	require.NoError(t, err)

	llmc := filepath.Join(dir, "m.bin")
	require.NoError(t, WriteLLMC(llmc, m))
	hf := filepath.Join(dir, "hf.safetensors")
	require.NoError(t, writeHF(hf, m, true))
	pon := filepath.Join(dir, "m.ponder")
	require.NoError(t, SavePonder(pon, m, nil))
	for _, p := range []string{llmc, hf, pon} {
		got, err := localmodel.Load(p)
		require.NoError(t, err, p)
		wantCfg := m.Config
		if p == hf {
			wantCfg.PaddedVocab = wantCfg.Vocab // Hugging Face files are not padded
		}
		assert.Equal(t, wantCfg, Network(got).Config, p)
		lg, err := got.Net.Forward(got.Net.NewState(), toks, true)
		require.NoError(t, err)
		assert.Less(t, maxDiff(lg, want), 1e-5, p)
		require.NotNil(t, got.Tok, "GPT-2 vocabulary gets the GPT-2 tokenizer")
		require.NoError(t, got.Close())
	}

	// A Ponder checkpoint carries its own trained tokenizer.
	trained, err := tokenizer.TrainBPE([]string{"hello hello world world hello world 123"}, 300, true, tokenizer.EndOfText)
	require.NoError(t, err)
	v := trained.VocabSize()
	sm, err := NewRandom(Config{MaxSeq: 16, Vocab: v, PaddedVocab: v, Layers: 1, Heads: 1, Channels: 8}, 1)
	require.NoError(t, err)
	require.NoError(t, SavePonder(pon, sm, trained))
	back, err := localmodel.Load(pon)
	require.NoError(t, err)
	assert.Equal(t, trained.Encode("hello world 42"), back.Tok.Encode("hello world 42"))
}

// writeHF writes m as Hugging Face GPT-2 safetensors (Conv1D [in][out]).
func writeHF(path string, m *Model, prefix bool) error {
	c := m.Config
	C := c.Channels
	p := m.Params
	pre := ""
	if prefix {
		pre = "transformer."
	}
	type tensor struct {
		name  string
		shape []int
		data  []float32
	}
	tr := func(w []float32, out, in int) []float32 { // [out][in] -> [in][out]
		r := make([]float32, len(w))
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				r[i*out+o] = w[o*in+i]
			}
		}
		return r
	}
	ts := []tensor{{"wte.weight", []int{c.Vocab, C}, p.WTE[:c.Vocab*C]}, {"wpe.weight", []int{c.MaxSeq, C}, p.WPE}}
	for l := 0; l < c.Layers; l++ {
		h := fmt.Sprintf("h.%d.", l)
		ts = append(ts,
			tensor{h + "ln_1.weight", []int{C}, p.LN1W[l*C : (l+1)*C]}, tensor{h + "ln_1.bias", []int{C}, p.LN1B[l*C : (l+1)*C]},
			tensor{h + "attn.c_attn.weight", []int{C, 3 * C}, tr(p.QKVW[l*3*C*C:(l+1)*3*C*C], 3*C, C)}, tensor{h + "attn.c_attn.bias", []int{3 * C}, p.QKVB[l*3*C : (l+1)*3*C]},
			tensor{h + "attn.c_proj.weight", []int{C, C}, tr(p.AttProjW[l*C*C:(l+1)*C*C], C, C)}, tensor{h + "attn.c_proj.bias", []int{C}, p.AttProjB[l*C : (l+1)*C]},
			tensor{h + "ln_2.weight", []int{C}, p.LN2W[l*C : (l+1)*C]}, tensor{h + "ln_2.bias", []int{C}, p.LN2B[l*C : (l+1)*C]},
			tensor{h + "mlp.c_fc.weight", []int{C, 4 * C}, tr(p.FCW[l*4*C*C:(l+1)*4*C*C], 4*C, C)}, tensor{h + "mlp.c_fc.bias", []int{4 * C}, p.FCB[l*4*C : (l+1)*4*C]},
			tensor{h + "mlp.c_proj.weight", []int{4 * C, C}, tr(p.FCProjW[l*4*C*C:(l+1)*4*C*C], C, 4*C)}, tensor{h + "mlp.c_proj.bias", []int{C}, p.FCProjB[l*C : (l+1)*C]})
	}
	ts = append(ts, tensor{"ln_f.weight", []int{C}, p.LNFW}, tensor{"ln_f.bias", []int{C}, p.LNFB})
	// Hugging Face keeps n_head in config.json; this test file carries it
	// in the metadata, which Load also reads (default C/64).
	header := map[string]any{"__metadata__": map[string]string{"format": "pt", "n_head": fmt.Sprint(c.Heads)}}
	off := int64(0)
	for _, t := range ts {
		n := int64(len(t.data)) * 4
		header[pre+t.name] = stEntry{DType: "F32", Shape: t.shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	hb, _ := json.Marshal(header)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(hb)))
	f.Write(lb[:])
	f.Write(hb)
	for _, t := range ts {
		if err := binary.Write(f, binary.LittleEndian, t.data); err != nil {
			return err
		}
	}
	return nil
}

func TestCorruptCheckpointsFailClearly(t *testing.T) {
	m := tinyModel(t)
	dir := t.TempDir()
	llmc := filepath.Join(dir, "m.bin")
	require.NoError(t, WriteLLMC(llmc, m))
	good, err := os.ReadFile(llmc)
	require.NoError(t, err)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated":  {good[:len(good)-100], "truncated at tensor lnfw [16]: needs bytes 3247744..3247808 of the parameters, file has 3247772"},
		"truncated2": {good[:1024+4*100], "truncated at tensor wte [50304 16]"},
		"extra":      {append(append([]byte{}, good...), 1, 2, 3, 4), "4 bytes after the last tensor"},
		"short":      {good[:10], "llm.c header needs 1024 bytes"},
		"tiny":       {good[:3], "too short to be a model file"},
		"bf16":       {setInt(good, 1, 5), "version 5 (bf16)"},
		"badversion": {setInt(good, 1, 9), "version 9"},
		"badheads":   {setInt(good, 5, 3), "do not divide into 3 heads"},
		"nan":        {setFloat(good, 1024+4*(50304*16+5), float32(math.NaN())), "tensor wpe holds NaN at element 5"},
		"notgpt":     {[]byte("hello, this is not a model at all, just text"), "none of the known formats"},
	}
	for name, c := range cases {
		_, err := localmodel.Load(write(name, c.data))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
		if name != "tiny" {
			assert.True(t, errors.Is(err, localmodel.ErrCorrupt), "%s: %v", name, err)
		}
	}

	hf := filepath.Join(dir, "hf.safetensors")
	require.NoError(t, writeHF(hf, m, false))
	data, err := os.ReadFile(hf)
	require.NoError(t, err)
	_, err = localmodel.Load(write("hf-trunc.safetensors", data[:len(data)-64]))
	assert.ErrorContains(t, err, "lies outside the")
	bad := strings.Replace(string(data), `"h.1.mlp.c_fc.weight":{"dtype":"F32","shape":[16,64]`, `"h.1.mlp.c_fc.weight":{"dtype":"F32","shape":[64,16]`, 1)
	require.NotEqual(t, string(data), bad)
	_, err = localmodel.Load(write("hf-shape.safetensors", []byte(bad)))
	assert.ErrorContains(t, err, "tensor h.1.mlp.c_fc.weight has shape [64 16], expected [16 64]")
	bad = strings.Replace(string(data), `"ln_f.bias"`, `"ln_f.bxas"`, 1)
	_, err = localmodel.Load(write("hf-missing.safetensors", []byte(bad)))
	assert.ErrorContains(t, err, "tensor ln_f.bias is missing")
	bad = strings.Replace(string(data), `"h.0.ln_1.weight":{"dtype":"F32"`, `"h.0.ln_1.weight":{"dtype":"F16"`, 1)
	_, err = localmodel.Load(write("hf-dtype.safetensors", []byte(bad)))
	assert.ErrorContains(t, err, "tensor h.0.ln_1.weight has dtype F16")
	_, err = localmodel.Load(filepath.Join(dir, "missing.bin"))
	assert.ErrorContains(t, err, "no such file")
}

func setInt(b []byte, idx int, v int32) []byte {
	c := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(c[4*idx:], uint32(v))
	return c
}

func setFloat(b []byte, off int, v float32) []byte {
	c := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(c[off:], math.Float32bits(v))
	return c
}

// The forward pass agrees with an independent numpy implementation of the
// same maths (testdata/ref_gpt2.py) to within 1e-3. CI installs
// python3-numpy and sets PONDER_REQUIRE_NUMPY, so there it cannot skip.
func TestLogitsMatchIndependentNumpy(t *testing.T) {
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("PONDER_REQUIRE_NUMPY") != "" {
			t.Fatal("python3 with numpy is required (apt-get install python3-numpy)")
		}
		t.Skip("python3 with numpy not available")
	}
	m, err := NewRandom(Config{MaxSeq: 64, Vocab: 50257, PaddedVocab: 50304, Layers: 2, Heads: 4, Channels: 32}, 11)
	require.NoError(t, err)
	for i := range m.Params.QKVW {
		m.Params.QKVW[i] *= 10 // sharpen attention so mistakes show
	}
	path := filepath.Join(t.TempDir(), "m.bin")
	require.NoError(t, WriteLLMC(path, m))
	toks := []int32{464, 3290, 318, 257, 1332, 286, 262, 6193, 13, 50256, 0, 50000}
	var arg []string
	for _, x := range toks {
		arg = append(arg, fmt.Sprint(x))
	}
	out, err := exec.Command(python, "testdata/ref_gpt2.py", path, strings.Join(arg, ",")).Output()
	require.NoError(t, err)
	var ref [][]float64
	require.NoError(t, json.Unmarshal(out, &ref))
	got, err := m.Forward(m.NewState(), toks, true)
	require.NoError(t, err)
	require.Len(t, ref, len(toks))
	worst := 0.0
	for i, row := range ref {
		for j, v := range row {
			worst = math.Max(worst, math.Abs(v-float64(got[i*m.Config.Vocab+j])))
		}
	}
	assert.Less(t, worst, 1e-3)
	t.Logf("largest difference from numpy over %d logits: %.2e", len(toks)*m.Config.Vocab, worst)
}

func TestSamplingAndStops(t *testing.T) {
	m := runtime(t, tinyModel(t))
	prompt := m.Tok.Encode("Hello world")
	ctx := context.Background()
	g1, _, err := m.Generate(ctx, prompt, localmodel.GenerateOptions{MaxTokens: 8})
	require.NoError(t, err)
	g2, _, _ := m.Generate(ctx, prompt, localmodel.GenerateOptions{MaxTokens: 8, Sampling: localmodel.Sampling{Temperature: 1, TopK: 1}})
	assert.Equal(t, g1[0].Tokens, g2[0].Tokens, "top-k 1 is greedy")
	assert.Len(t, g1[0].Tokens, 8)
	assert.Equal(t, llm.FinishLength, g1[0].FinishReason)

	s := localmodel.Sampling{Temperature: 1, TopP: 0.9, Seed: 42}
	a, u, err := m.Generate(ctx, prompt, localmodel.GenerateOptions{MaxTokens: 12, Sampling: s, N: 3, TopLogprobs: 2})
	require.NoError(t, err)
	b, _, _ := m.Generate(ctx, prompt, localmodel.GenerateOptions{MaxTokens: 12, Sampling: s, N: 3})
	for i := range a {
		assert.Equal(t, a[i].Tokens, b[i].Tokens, "seeded sampling repeats")
	}
	assert.NotEqual(t, a[0].Tokens, a[1].Tokens, "samples differ")
	assert.Equal(t, 36, u.CompletionTokens)
	require.Len(t, a[0].Logprobs, 12)
	assert.Len(t, a[0].Logprobs[0].Top, 2)
	assert.LessOrEqual(t, a[0].Logprobs[0].Logprob, 0.0)

	// A stop sequence that spans two tokens still stops, and is cut.
	full := g1[0].Text
	require.GreaterOrEqual(t, len(g1[0].Tokens), 4)
	t2 := string(m.Tok.Token(g1[0].Tokens[2]))
	t3 := string(m.Tok.Token(g1[0].Tokens[3]))
	stop := t2[len(t2)-1:] + t3[:1]
	c, _, err := m.Generate(ctx, prompt, localmodel.GenerateOptions{MaxTokens: 8, Stop: []string{stop}})
	require.NoError(t, err)
	assert.Equal(t, llm.FinishStop, c[0].FinishReason)
	assert.Equal(t, full[:strings.Index(full, stop)], c[0].Text)

	// The llm.Model backend streams the same text.
	be := &localmodel.Backend{Model: m, Name: "tiny"}
	var streamed strings.Builder
	resp, err := llm.Stream(ctx, be, llm.Request{Messages: []llm.Message{llm.User("Hello world")}, MaxTokens: 8}, func(ch llm.Chunk) error {
		streamed.WriteString(ch.Text)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, full, resp.Text())
	assert.Equal(t, full, streamed.String())
	_, err = be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("x")}, Constraint: &llm.Constraint{Kind: llm.ConstraintGrammar, Grammar: "root ::= x"}})
	assert.ErrorIs(t, err, llm.ErrUnsupported)
	_, err = be.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User(strings.Repeat("word ", 40))}})
	assert.ErrorIs(t, err, llm.ErrContextLength)
}

// safetensorsBytes builds a safetensors file from a header (tensor entries
// and metadata) and a body.
func safetensorsBytes(header map[string]any, body []byte) []byte {
	hb, _ := json.Marshal(header)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	return append(append(out, hb...), body...)
}

// TestLyingHeadersFailBeforeAllocating: headers that claim huge or
// overflowing tensors, absurd weights and a bad n_head fail with a clear
// error (before this fix the first two killed the process: out of memory,
// makeslice: len out of range).
func TestLyingHeadersFailBeforeAllocating(t *testing.T) {
	m := tinyModel(t)
	dir := t.TempDir()
	hf := filepath.Join(dir, "hf.safetensors")
	require.NoError(t, writeHF(hf, m, false))
	data, err := os.ReadFile(hf)
	require.NoError(t, err)
	// 10 TB: 48 layers of 65536 channels in a few bytes.
	layer := stEntry{DType: "F32", Shape: []int{4}, Offsets: [2]int64{0, 8}}
	huge := safetensorsBytes(map[string]any{
		"wte.weight":      stEntry{DType: "F32", Shape: []int{50257, 65536}, Offsets: [2]int64{0, 8}},
		"wpe.weight":      stEntry{DType: "F32", Shape: []int{1024, 65536}, Offsets: [2]int64{0, 8}},
		"h.0.ln_1.weight": layer, "h.47.ln_1.weight": layer,
	}, make([]byte, 8))
	_, _, err = Read(huge)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "parameters, more than")
	// Plausible dimensions, but the data is not there.
	big := safetensorsBytes(map[string]any{
		"wte.weight":      stEntry{DType: "F32", Shape: []int{50257, 4096}, Offsets: [2]int64{0, 8}},
		"wpe.weight":      stEntry{DType: "F32", Shape: []int{1024, 4096}, Offsets: [2]int64{0, 8}},
		"h.0.ln_1.weight": layer, "h.1.ln_1.weight": layer,
	}, make([]byte, 8))
	_, _, err = Read(big)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tensor wte.weight holds 8 bytes")
	// Overflowing shape.
	over := safetensorsBytes(map[string]any{
		"wte.weight":      stEntry{DType: "F32", Shape: []int{1 << 40, 1 << 40}, Offsets: [2]int64{0, 8}},
		"wpe.weight":      stEntry{DType: "F32", Shape: []int{1 << 40, 1 << 40}, Offsets: [2]int64{0, 8}},
		"h.0.ln_1.weight": layer,
	}, make([]byte, 8))
	_, _, err = Read(over)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "beyond any GPT-2")
	// n_head "-4".
	hdrLen := int(binary.LittleEndian.Uint64(data))
	var header map[string]any
	require.NoError(t, json.Unmarshal(data[8:8+hdrLen], &header))
	header["__metadata__"].(map[string]any)["n_head"] = "-4"
	_, _, err = Read(safetensorsBytes(header, data[8+hdrLen:]))
	assert.ErrorContains(t, err, `n_head "-4" is not a positive integer`)
	// A finite but absurd weight (3e38) in each format.
	absurd := setFloat(data, 8+hdrLen+4*7, 3e38)
	_, _, err = Read(absurd)
	assert.ErrorContains(t, err, "3e+38")
	llmc := filepath.Join(dir, "m.bin")
	require.NoError(t, WriteLLMC(llmc, m))
	good, err := os.ReadFile(llmc)
	require.NoError(t, err)
	_, _, err = Read(setFloat(good, 1024+4*3, -3e38))
	assert.ErrorContains(t, err, "within ±1e+06")
	// An llm.c header with a vocabulary of 2^31-1.
	_, _, err = Read(setInt(setInt(good, 3, 1<<31-1), 7, 1<<31-1))
	assert.ErrorContains(t, err, "beyond any GPT-2")
}

// FuzzRead feeds llm.c, Hugging Face safetensors and Ponder checkpoints,
// mutated, to the loader: every input loads or fails with an error.
func FuzzRead(f *testing.F) {
	m := tinyModelCtx(f, 8)
	dir := f.TempDir()
	for _, name := range []string{"m.bin", "hf.safetensors", "p.ponder"} {
		p := filepath.Join(dir, name)
		switch name {
		case "m.bin":
			require.NoError(f, WriteLLMC(p, m))
		case "hf.safetensors":
			require.NoError(f, writeHF(p, m, true))
		default:
			require.NoError(f, SavePonder(p, m, nil))
		}
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("GGUF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if mm, _, err := Read(data); err == nil {
			// A model that loads runs.
			_, _ = mm.Forward(mm.NewState(), []int32{0}, false)
		}
	})
}

// A batch of sequences gets the logits each gets alone.
func TestForwardBatchMatchesForward(t *testing.T) {
	m := tinyModel(t)
	nettest.ForwardBatch(t, m, [][]int32{{1, 2, 3}, {7}, {9, 8, 7, 6, 5}, {4, 4}},
		[][]int32{{11}, {12, 13}, {14}, {15}}, 1e-4)
}

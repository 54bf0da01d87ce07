package llama_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/llama"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// Write a small random Qwen2-architecture model and load it like any GGUF
// file (importing this package registers the format).
func Example() {
	tok, _ := tokenizer.GPT2()
	c := llama.Config{Arch: "qwen2", Embd: 64, Layers: 1, Heads: 4, KVHeads: 2, FF: 128, Context: 128, RMSEps: 1e-6, RopeBase: 1e6, Vocab: tok.VocabSize()}
	var w gguf.Writer
	if err := llama.WriteRandom(&w, c, gguf.Q8_0, true, 1); err != nil {
		panic(err)
	}
	tokenizer.WriteGGUF(&w, tok.Vocab(), 50256, 50256, false, "")
	dir, _ := os.MkdirTemp("", "ponder")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")
	if err := w.WriteFile(path); err != nil {
		panic(err)
	}
	m, err := localmodel.Load(path)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	logits, _ := m.Net.Forward(m.Net.NewState(), m.EncodeText("Hello"), false)
	fmt.Println(m.Arch, m.Net.VocabSize(), m.Net.ContextLength(), len(logits))
	// Output: qwen2 50257 128 50257
}

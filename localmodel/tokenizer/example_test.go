package tokenizer_test

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

func ExampleGPT2() {
	tok, err := tokenizer.GPT2()
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("Hello world")
	text, _ := tok.Decode(ids)
	fmt.Println(ids, string(text))
	// Output: [15496 995] Hello world
}

// A vocabulary as GGUF metadata describes it: here a tiny byte-level BPE
// with one merge and the Qwen2 pre-tokenizer.
func ExampleNew() {
	v := tokenizer.Vocab{Model: "gpt2", Pre: "qwen2", Merges: []string{"h i"}}
	for b := 0; b < 256; b++ {
		v.Tokens = append(v.Tokens, tokenizer.GPT2Bytes([]byte{byte(b)}))
	}
	v.Tokens = append(v.Tokens, "hi")
	tok, err := tokenizer.New(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Encode("hi 42"))
	// Output: [256 32 52 50]
}

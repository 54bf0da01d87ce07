package gpt2_test

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/gpt2"
)

// A random GPT-2-shaped network: forward tokens into a state, read logits.
func ExampleNewRandom() {
	net, err := gpt2.NewRandom(gpt2.Config{MaxSeq: 32, Vocab: 100, PaddedVocab: 128, Layers: 1, Heads: 2, Channels: 16}, 1)
	if err != nil {
		panic(err)
	}
	st := net.NewState()
	logits, err := net.Forward(st, []int32{1, 2, 3}, false)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(logits), st.Len())
	// Output: 100 3
}

package train_test

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/train"
)

// A dataset of examples where only the model's own tokens are trained on:
// here the answer after the prompt, and the separator that teaches it to
// stop.
func ExampleDataset() {
	var d train.Dataset
	prompt, answer := []int32{10, 11, 12}, []int32{20, 21}
	tokens := append(append([]int32{}, prompt...), answer...)
	produce := []bool{false, false, false, true, true}
	d.Add(tokens, produce, 0)
	fmt.Println(len(d.Tokens), d.Weights)
	// Output: 6 [0 0 0 1 1 1]
}

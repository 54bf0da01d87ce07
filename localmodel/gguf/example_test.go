package gguf_test

import (
	"bytes"
	"fmt"

	"github.com/ponder-go/ponder/localmodel/gguf"
)

// Write a GGUF file with one key and one Q8_0 tensor, then read it back.
func ExampleParse() {
	var w gguf.Writer
	w.Set("general.architecture", "llama")
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(i) / 8
	}
	data, _ := gguf.Encode(gguf.Q8_0, x)
	if err := w.AddTensor("blk.0.attn_q.weight", gguf.Q8_0, []uint64{32, 2}, data); err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		panic(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		panic(err)
	}
	arch, _ := f.String("general.architecture")
	t := f.Tensors[0]
	y := make([]float32, 64)
	_ = gguf.Dequantize(t.Type, y, f.Data(&t))
	fmt.Printf("%s %s %s %v %.3f\n", arch, t.Name, t.Type, t.Dims, y[63]) // 63/8, to Q8_0 precision
	// Output: llama blk.0.attn_q.weight Q8_0 [32 2] 7.875
}

package llama

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ponder-go/ponder/localmodel/gguf"
)

// WriteRandom writes the metadata and random weights of an architecture
// of shape c into w: matrices in type typ (norms and biases in F32),
// normal(0, 0.02) weights (output scaled up so logits spread), unit-ish norm
// gains. Tests and benchmarks use it to make models of any shape.
func WriteRandom(w *gguf.Writer, c Config, typ gguf.Type, tied bool, seed uint64) error {
	switch c.Arch {
	case "llama", "qwen2", "qwen3":
	default:
		return fmt.Errorf("llama: WriteRandom: architecture %q", c.Arch)
	}
	if c.HeadDim == 0 {
		c.HeadDim = c.Embd / c.Heads
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	a := c.Arch + "."
	w.Set("general.architecture", c.Arch)
	w.Set("general.name", "ponder-random-"+c.Arch)
	w.Set(a+"context_length", uint32(c.Context))
	w.Set(a+"embedding_length", uint32(c.Embd))
	w.Set(a+"block_count", uint32(c.Layers))
	w.Set(a+"feed_forward_length", uint32(c.FF))
	w.Set(a+"attention.head_count", uint32(c.Heads))
	w.Set(a+"attention.head_count_kv", uint32(c.KVHeads))
	w.Set(a+"attention.layer_norm_rms_epsilon", float32(c.RMSEps))
	w.Set(a+"rope.freq_base", float32(c.RopeBase))
	if c.HeadDim != c.Embd/c.Heads {
		w.Set(a+"attention.key_length", uint32(c.HeadDim))
		w.Set(a+"attention.value_length", uint32(c.HeadDim))
	}
	w.Set(a+"rope.dimension_count", uint32(c.HeadDim))
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	tensor := func(name string, t gguf.Type, std, mean float64, cols, rows int) error {
		x := make([]float32, cols*rows)
		for i := range x {
			x[i] = float32(mean + r.NormFloat64()*std)
		}
		b, err := gguf.Encode(t, x)
		if err != nil {
			return fmt.Errorf("tensor %s: %w", name, err)
		}
		dims := []uint64{uint64(cols)}
		if rows > 1 || t != gguf.F32 {
			dims = append(dims, uint64(rows))
		}
		return w.AddTensor(name, t, dims, b)
	}
	hd := c.HeadDim
	qDim, kvDim := c.Heads*hd, c.KVHeads*hd
	resid := 0.02 / math.Sqrt(2*float64(c.Layers))
	errs := []error{tensor("token_embd.weight", typ, 0.5, 0, c.Embd, c.Vocab),
		tensor("output_norm.weight", gguf.F32, 0.1, 1, c.Embd, 1)}
	if !tied {
		errs = append(errs, tensor("output.weight", typ, 0.1, 0, c.Embd, c.Vocab))
	}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		errs = append(errs,
			tensor(p+"attn_norm.weight", gguf.F32, 0.1, 1, c.Embd, 1),
			tensor(p+"attn_q.weight", typ, 0.1, 0, c.Embd, qDim),
			tensor(p+"attn_k.weight", typ, 0.1, 0, c.Embd, kvDim),
			tensor(p+"attn_v.weight", typ, 0.1, 0, c.Embd, kvDim),
			tensor(p+"attn_output.weight", typ, resid*10, 0, qDim, c.Embd),
			tensor(p+"ffn_norm.weight", gguf.F32, 0.1, 1, c.Embd, 1),
			tensor(p+"ffn_gate.weight", typ, 0.1, 0, c.Embd, c.FF),
			tensor(p+"ffn_up.weight", typ, 0.1, 0, c.Embd, c.FF),
			tensor(p+"ffn_down.weight", typ, resid*10, 0, c.FF, c.Embd))
		if c.Arch == "qwen2" {
			errs = append(errs,
				tensor(p+"attn_q.bias", gguf.F32, 0.1, 0, qDim, 1),
				tensor(p+"attn_k.bias", gguf.F32, 0.1, 0, kvDim, 1),
				tensor(p+"attn_v.bias", gguf.F32, 0.1, 0, kvDim, 1))
		}
		if c.Arch == "qwen3" {
			errs = append(errs,
				tensor(p+"attn_q_norm.weight", gguf.F32, 0.1, 1, hd, 1),
				tensor(p+"attn_k_norm.weight", gguf.F32, 0.1, 1, hd, 1))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

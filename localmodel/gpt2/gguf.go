package gpt2

import (
	"fmt"

	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// WriteGGUF exports a GPT-2 model and its byte-level BPE tokenizer as a
// GGUF file of architecture "gpt2", the layout llama.cpp reads: matrices in
// type typ (F32, F16, BF16 or Q8_0; the others need rows in 256-wide
// blocks), norms, biases and embeddings' positions in F32. The output head
// is written as its own tensor (tied to the embedding here).
//
// A tokenizer trained with SplitDigits has no exact llama.cpp
// pre-tokenizer: it is written as "smollm" (digits split first), which
// differs from Ponder's split only in a space before a digit (warning
// returned).
func WriteGGUF(w *gguf.Writer, m *Model, tok *tokenizer.BPE, typ gguf.Type) (warning string, err error) {
	c := m.Config
	if err := c.Validate(); err != nil {
		return "", err
	}
	if tok.VocabSize() != c.Vocab {
		return "", fmt.Errorf("gpt2: tokenizer has %d tokens, the model %d", tok.VocabSize(), c.Vocab)
	}
	C, V, L := c.Channels, c.Vocab, c.Layers
	w.Set("general.architecture", "gpt2")
	w.Set("general.name", "ponder-gpt2")
	w.Set("gpt2.context_length", uint32(c.MaxSeq))
	w.Set("gpt2.embedding_length", uint32(C))
	w.Set("gpt2.feed_forward_length", uint32(4*C))
	w.Set("gpt2.block_count", uint32(L))
	w.Set("gpt2.attention.head_count", uint32(c.Heads))
	w.Set("gpt2.attention.layer_norm_epsilon", float32(1e-5))
	v := tok.Vocab()
	if tok.SplitDigits {
		v.Pre = "smollm"
		warning = "the tokenizer splits digits Ponder's way (\" 12\" → \" 1\", \"2\"); llama.cpp's nearest pre-tokenizer, smollm, splits it \" \", \"1\", \"2\""
	}
	eot, ok := tok.SpecialID(tokenizer.EndOfText)
	if !ok {
		eot = int32(V - 1)
	}
	tokenizer.WriteGGUF(w, v, eot, eot, false, "")
	p := &m.Params
	var errs []error
	add := func(name string, t gguf.Type, x []float32, dims ...uint64) {
		b, err := gguf.Encode(t, x)
		if err == nil {
			err = w.AddTensor(name, t, dims, b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("gpt2: tensor %s: %w", name, err))
		}
	}
	u := func(n int) uint64 { return uint64(n) }
	add("token_embd.weight", typ, p.WTE[:V*C], u(C), u(V))
	add("position_embd.weight", gguf.F32, p.WPE, u(C), u(c.MaxSeq))
	add("output_norm.weight", gguf.F32, p.LNFW, u(C))
	add("output_norm.bias", gguf.F32, p.LNFB, u(C))
	add("output.weight", typ, p.WTE[:V*C], u(C), u(V))
	for l := 0; l < L; l++ {
		b := fmt.Sprintf("blk.%d.", l)
		add(b+"attn_norm.weight", gguf.F32, p.LN1W[l*C:(l+1)*C], u(C))
		add(b+"attn_norm.bias", gguf.F32, p.LN1B[l*C:(l+1)*C], u(C))
		add(b+"attn_qkv.weight", typ, p.QKVW[l*3*C*C:(l+1)*3*C*C], u(C), u(3*C))
		add(b+"attn_qkv.bias", gguf.F32, p.QKVB[l*3*C:(l+1)*3*C], u(3*C))
		add(b+"attn_output.weight", typ, p.AttProjW[l*C*C:(l+1)*C*C], u(C), u(C))
		add(b+"attn_output.bias", gguf.F32, p.AttProjB[l*C:(l+1)*C], u(C))
		add(b+"ffn_norm.weight", gguf.F32, p.LN2W[l*C:(l+1)*C], u(C))
		add(b+"ffn_norm.bias", gguf.F32, p.LN2B[l*C:(l+1)*C], u(C))
		add(b+"ffn_up.weight", typ, p.FCW[l*4*C*C:(l+1)*4*C*C], u(C), u(4*C))
		add(b+"ffn_up.bias", gguf.F32, p.FCB[l*4*C:(l+1)*4*C], u(4*C))
		add(b+"ffn_down.weight", typ, p.FCProjW[l*4*C*C:(l+1)*4*C*C], u(4*C), u(C))
		add(b+"ffn_down.bias", gguf.F32, p.FCProjB[l*C:(l+1)*C], u(C))
	}
	if len(errs) > 0 {
		return "", errs[0]
	}
	return warning, nil
}

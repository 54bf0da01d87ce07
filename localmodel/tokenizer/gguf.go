package tokenizer

import "github.com/ponder-go/ponder/localmodel/gguf"

// WriteGGUF writes a vocabulary as GGUF metadata (tokenizer.ggml.*),
// with the BOS/EOS ids, whether BOS is added, and a chat template if any.
func WriteGGUF(w *gguf.Writer, v Vocab, bos, eos int32, addBOS bool, chatTemplate string) {
	w.Set("tokenizer.ggml.model", v.Model)
	if v.Pre != "" {
		w.Set("tokenizer.ggml.pre", v.Pre)
	}
	w.Set("tokenizer.ggml.tokens", v.Tokens)
	if v.Types != nil {
		w.Set("tokenizer.ggml.token_type", v.Types)
	}
	if v.Scores != nil {
		w.Set("tokenizer.ggml.scores", v.Scores)
	}
	if v.Merges != nil || v.Model == "gpt2" { // byte-level BPE needs the key, even empty
		w.Set("tokenizer.ggml.merges", append([]string{}, v.Merges...))
	}
	w.Set("tokenizer.ggml.bos_token_id", uint32(bos))
	w.Set("tokenizer.ggml.eos_token_id", uint32(eos))
	w.Set("tokenizer.ggml.add_bos_token", addBOS)
	if v.Model == "llama" {
		w.Set("tokenizer.ggml.add_space_prefix", v.AddSpacePrefix)
	}
	if chatTemplate != "" {
		w.Set("tokenizer.chat_template", chatTemplate)
	}
}

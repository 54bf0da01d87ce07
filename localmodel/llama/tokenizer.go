package llama

import (
	"fmt"
	"log/slog"

	"github.com/ponder-go/ponder/localmodel"
	"github.com/ponder-go/ponder/localmodel/chat"
	"github.com/ponder-go/ponder/localmodel/gguf"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// attachTokenizer reads tokenizer.ggml.* and tokenizer.chat_template into
// m: the tokenizer, BOS handling, stop tokens and chat template.
func attachTokenizer(m *localmodel.Model, f *gguf.File, vocab int) error {
	var v tokenizer.Vocab
	var err error
	if v.Model, err = f.String("tokenizer.ggml.model"); err != nil {
		return err
	}
	if v.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return err
	}
	if len(v.Tokens) > vocab {
		return fmt.Errorf("%w: tokenizer.ggml.tokens has %d tokens, more than the %d rows of token_embd.weight", gguf.ErrFormat, len(v.Tokens), vocab)
	}
	if _, ok := f.Lookup("tokenizer.ggml.token_type"); ok {
		if v.Types, err = f.Ints("tokenizer.ggml.token_type"); err != nil {
			return err
		}
	}
	if v.Model == "llama" {
		if v.Scores, err = f.Floats("tokenizer.ggml.scores"); err != nil {
			return err
		}
		v.AddSpacePrefix = true
		if b, err := f.Bool("tokenizer.ggml.add_space_prefix"); err == nil {
			v.AddSpacePrefix = b
		}
	}
	if v.Model == "gpt2" {
		if v.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return err
		}
		v.Pre, _ = f.String("tokenizer.ggml.pre")
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		return fmt.Errorf("%w: %v", gguf.ErrFormat, err)
	}
	m.Tok = tok
	id := func(key string) int32 {
		n, err := f.Uint(key)
		if err != nil || n >= uint64(len(v.Tokens)) {
			return -1
		}
		return int32(n)
	}
	m.BOS = id("tokenizer.ggml.bos_token_id")
	m.AddBOS = v.Model == "llama" && m.BOS >= 0
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err == nil {
		m.AddBOS = b && m.BOS >= 0
	}
	for _, key := range []string{"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eos_token_id"} {
		if s := id(key); s >= 0 && !contains(m.Stops, s) {
			m.Stops = append(m.Stops, s)
		}
	}
	if tmpl, err := f.String("tokenizer.chat_template"); err == nil {
		bos, eos := "", ""
		if m.BOS >= 0 {
			bos = v.Tokens[m.BOS]
		}
		if e := id("tokenizer.ggml.eos_token_id"); e >= 0 {
			eos = v.Tokens[e]
		}
		ct, err := chat.Detect(tmpl, bos, eos)
		if err != nil {
			slog.Warn("chat template not recognised; messages are sent as plain text", "err", err)
		} else {
			if ct.JinjaErr != nil {
				slog.Warn("chat template uses Jinja Ponder cannot run; writing its family's format instead", "family", ct.Family, "err", ct.JinjaErr)
			}
			m.Chat = ct
			// The template's end-of-turn token ends a reply too.
			if s, ok := tok.SpecialID(ct.EndOfTurn()); ok && !contains(m.Stops, s) {
				m.Stops = append(m.Stops, s)
			}
		}
	}
	return nil
}

func contains(s []int32, x int32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

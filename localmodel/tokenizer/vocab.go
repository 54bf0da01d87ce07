package tokenizer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token types, as GGUF's tokenizer.ggml.token_type stores them.
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Vocab describes a tokenizer the way GGUF metadata (tokenizer.ggml.*)
// does; Hugging Face tokenizer.json files map onto it too.
type Vocab struct {
	Model  string   // "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE)
	Pre    string   // pre-tokenizer of a "gpt2" model: "llama-bpe", "qwen2", "smollm", "gpt-2", ...
	Tokens []string // by id; "gpt2" tokens are in GPT-2's byte alphabet
	Types  []int32  // by id (optional: all normal)
	Scores []float32
	Merges []string // "a b" in rank order ("gpt2" models)
	// AddSpacePrefix puts "▁" before the text ("llama" models; default on).
	AddSpacePrefix bool

	// Hugging Face tokenizer.json semantics that GGUF metadata does not
	// carry (ParseHF sets them):
	//
	// NFC normalizes text first (Qwen).
	NFC bool
	// IgnoreMerges takes a pre-token found whole in the vocabulary as one
	// token ("gpt2" models).
	IgnoreMerges bool
	// MergeRanks makes a "llama" model merge pairs in the order of Merges
	// (Hugging Face's BPE) instead of by the merged piece's score.
	MergeRanks bool
}

// Tokenizer turns text into token ids and back; New returns a *BPE or a
// *SentencePiece.
type Tokenizer interface {
	// VocabSize is the number of ids.
	VocabSize() int
	// Encode tokenizes text, reading special-token text as plain text.
	Encode(text string) []int32
	// EncodeSpecial is Encode with special tokens (such as
	// "<|im_start|>") encoded as their single ids where they appear.
	EncodeSpecial(text string) []int32
	// Token is the bytes a token id stands for in decoded text.
	Token(id int32) []byte
	// SpecialID returns the id of a special token's text.
	SpecialID(text string) (int32, bool)
	// Specials lists the ids that are not text (control tokens).
	Specials() []int32
	// Decode turns ids back into bytes; unknown ids are an error.
	Decode(ids []int32) ([]byte, error)
}

// preTokenizers maps GGUF pre-tokenizer names to the splitting rule.
var preTokenizers = map[string]string{
	"": "", "default": "", "gpt-2": "", "gpt2": "",
	"smollm": "digits", "starcoder": "digits", "refact": "digits",
	"llama-bpe": "llama3", "llama3": "llama3", "dbrx": "llama3", "smaug-bpe": "llama3",
	"qwen2": "qwen2", "deepseek-r1-qwen": "qwen2",
}

// New builds a tokenizer from a vocabulary description.
func New(v Vocab) (Tokenizer, error) {
	if len(v.Tokens) == 0 || len(v.Tokens) > 1<<24 {
		return nil, fmt.Errorf("tokenizer: %d tokens", len(v.Tokens))
	}
	if v.Types != nil && len(v.Types) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), len(v.Tokens))
	}
	switch v.Model {
	case "gpt2":
		return newByteLevel(v)
	case "llama":
		return newSentencePiece(v)
	}
	return nil, fmt.Errorf("tokenizer: model %q is not supported (gpt2, llama are)", v.Model)
}

func (v Vocab) typeOf(id int) int32 {
	if v.Types == nil {
		return TypeNormal
	}
	return v.Types[id]
}

func newByteLevel(v Vocab) (*BPE, error) {
	pre, ok := preTokenizers[v.Pre]
	if !ok {
		return nil, fmt.Errorf("tokenizer: pre-tokenizer %q is not supported (llama-bpe, qwen2, smollm, gpt-2 are)", v.Pre)
	}
	t := newTokenizer(len(v.Tokens))
	t.pre = pre
	// llama.cpp ignores merges for Llama 3's pre-tokenizer, as its
	// tokenizer.json asks.
	t.ignoreMerges = pre == "llama3" || v.IgnoreMerges
	t.nfc = v.NFC
	for id, s := range v.Tokens {
		switch v.typeOf(id) {
		case TypeControl:
			t.tokens[id] = []byte(s)
			t.special[s] = int32(id)
			continue
		case TypeUserDefined:
			t.tokens[id] = []byte(s)
			t.userDefined[s] = int32(id)
			continue
		case TypeUnused:
			continue // no text maps to it, and it decodes to nothing
		}
		b, err := unicodeToBytes(s)
		if err != nil {
			b = []byte(s) // not in the byte alphabet: its text (unused tokens)
		}
		t.tokens[id] = b
		if _, dup := t.byBytes[string(b)]; !dup {
			t.byBytes[string(b)] = int32(id)
		}
	}
	for c := 0; c < 256; c++ {
		if _, ok := t.byBytes[string([]byte{byte(c)})]; !ok {
			return nil, fmt.Errorf("tokenizer: byte-level vocabulary has no token for byte %#02x", c)
		}
	}
	for rank, m := range v.Merges {
		a, b, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("tokenizer: merge %d %q is not two tokens", rank, m)
		}
		ab, err1 := unicodeToBytes(a)
		bb, err2 := unicodeToBytes(b)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("tokenizer: merge %d %q is not in the byte alphabet", rank, m)
		}
		ia, okA := t.byBytes[string(ab)]
		ib, okB := t.byBytes[string(bb)]
		im, okM := t.byBytes[string(ab)+string(bb)]
		if !okA || !okB || !okM {
			continue // merges of tokens outside the vocabulary never apply
		}
		if _, dup := t.merges[[2]int32{ia, ib}]; !dup {
			t.merges[[2]int32{ia, ib}] = mergeResult{int32(rank), im}
		}
	}
	return t, nil
}

// pretokenizeLlama3 splits text like Llama 3's pattern
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// and Qwen2's, which is the same with single digits (\p{N}).
func pretokenizeLlama3(s string, singleDigits bool) []string {
	var out []string
	at := func(j int) (rune, int) {
		if j >= len(s) {
			return -1, 0
		}
		return utf8.DecodeRuneInString(s[j:])
	}
	isL := func(r rune) bool { return r >= 0 && unicode.IsLetter(r) }
	isN := func(r rune) bool { return r >= 0 && unicode.IsNumber(r) }
	isS := func(r rune) bool { return r >= 0 && unicode.IsSpace(r) }
	isNL := func(r rune) bool { return r == '\r' || r == '\n' }
	letters := func(j int) int {
		for {
			r, n := at(j)
			if !isL(r) {
				return j
			}
			j += n
		}
	}
	for i := 0; i < len(s); {
		r, n := at(i)
		// Contractions, any case.
		if r == '\'' {
			rest := strings.ToLower(s[i+1 : min(len(s), i+3)])
			l := 0
			switch {
			case strings.HasPrefix(rest, "re"), strings.HasPrefix(rest, "ve"), strings.HasPrefix(rest, "ll"):
				l = 3
			case len(rest) > 0 && strings.ContainsRune("stmd", rune(rest[0])):
				l = 2
			}
			if l > 0 && i+l <= len(s) {
				// "'S" lowers to "'s"; make sure the bytes were ASCII.
				if strings.EqualFold(s[i:i+l], "'"+rest[:l-1]) {
					out = append(out, s[i:i+l])
					i += l
					continue
				}
			}
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if isL(r) {
			e := letters(i)
			out = append(out, s[i:e])
			i = e
			continue
		}
		if !isNL(r) && !isN(r) {
			if r2, _ := at(i + n); isL(r2) {
				e := letters(i + n)
				out = append(out, s[i:e])
				i = e
				continue
			}
		}
		// \p{N}{1,3} or \p{N}
		if isN(r) {
			e, k := i, 0
			for k < 3 && (k == 0 || !singleDigits) {
				r2, n2 := at(e)
				if !isN(r2) {
					break
				}
				e += n2
				k++
			}
			out = append(out, s[i:e])
			i = e
			continue
		}
		//  ?[^\s\p{L}\p{N}]+[\r\n]*
		j := i
		if r == ' ' {
			j += n
		}
		if r2, _ := at(j); r2 >= 0 && !isS(r2) && !isL(r2) && !isN(r2) {
			e := j
			for {
				r3, n3 := at(e)
				if r3 < 0 || isS(r3) || isL(r3) || isN(r3) {
					break
				}
				e += n3
			}
			for {
				r3, n3 := at(e)
				if !isNL(r3) {
					break
				}
				e += n3
			}
			out = append(out, s[i:e])
			i = e
			continue
		}
		// Whitespace: \s*[\r\n]+ takes the run up to its last newline;
		// \s+(?!\S) takes the run but leaves its last character when a
		// non-space follows; \s+ takes a lone one.
		e, lastNL := i, -1
		for {
			r3, n3 := at(e)
			if !isS(r3) {
				break
			}
			e += n3
			if isNL(r3) {
				lastNL = e
			}
		}
		switch {
		case lastNL > 0:
			e = lastNL
		case e < len(s):
			if _, last := utf8.DecodeLastRuneInString(s[i:e]); e-last > i {
				e -= last
			}
		}
		if e == i { // not a space (an invalid byte): one rune on its own
			e = i + max(n, 1)
		}
		out = append(out, s[i:e])
		i = e
	}
	return out
}

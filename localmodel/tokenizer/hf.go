package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Hugging Face tokenizer.json files: the BPE models of the Llama 3, Qwen2/3,
// SmolLM (byte-level) and Llama 2, TinyLlama, Mistral (SentencePiece-style
// with byte fallback) families map onto a Vocab.

// hfFile is the part of tokenizer.json a BPE model needs.
type hfFile struct {
	AddedTokens []struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Model        struct {
		Type                    string           `json:"type"`
		Vocab                   map[string]int64 `json:"vocab"`
		Merges                  json.RawMessage  `json:"merges"`
		UnkToken                *string          `json:"unk_token"`
		ByteFallback            bool             `json:"byte_fallback"`
		IgnoreMerges            bool             `json:"ignore_merges"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	} `json:"model"`
}

// hfStep is one normalizer or pre-tokenizer of a (possibly Sequence) chain.
type hfStep struct {
	Type             string          `json:"type"`
	Normalizers      []hfStep        `json:"normalizers"`
	Pretokenizers    []hfStep        `json:"pretokenizers"`
	Pattern          json.RawMessage `json:"pattern"`
	Content          string          `json:"content"`
	Prepend          string          `json:"prepend"`
	UseRegex         *bool           `json:"use_regex"`
	AddPrefixSpace   bool            `json:"add_prefix_space"`
	IndividualDigits bool            `json:"individual_digits"`
	Behavior         string          `json:"behavior"`
}

// flatten lists the steps of a chain in order.
func (s *hfStep) flatten() []hfStep {
	if s == nil || s.Type == "" {
		return nil
	}
	if s.Type == "Sequence" {
		var out []hfStep
		for _, c := range append(s.Normalizers, s.Pretokenizers...) {
			out = append(out, c.flatten()...)
		}
		return out
	}
	return []hfStep{*s}
}

// patternString is a {"String": s} pattern's s ("" for a regex).
func (s *hfStep) patternString() string {
	var p struct{ String string }
	json.Unmarshal(s.Pattern, &p)
	return p.String
}

// The Split patterns of the byte-level families, by llama.cpp's names.
var hfSplitPatterns = map[string]string{
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: "llama-bpe",
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`:      "qwen2",
	`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`:                                          "gpt-2",
}

var hfByteToken = regexp.MustCompile(`^<0x[0-9A-F]{2}>$`)

// maxHFVocab bounds the ids a tokenizer.json may use before anything is
// allocated from them.
const maxHFVocab = 1 << 22

// ParseHF reads a Hugging Face tokenizer.json. Added tokens marked special
// become control tokens (EncodeSpecial reads them); the others are split
// out of any text, as Hugging Face does.
func ParseHF(data []byte) (Tokenizer, error) {
	v, err := ParseHFVocab(data)
	if err != nil {
		return nil, err
	}
	return New(v)
}

// LoadHF reads a tokenizer.json file.
func LoadHF(path string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := ParseHF(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Open reads a tokenizer by name or file: "gpt2" (GPT-2's, embedded), a
// Hugging Face tokenizer.json, or a file written by Save.
func Open(nameOrPath string) (Tokenizer, error) {
	if nameOrPath == "" || nameOrPath == "gpt2" {
		return GPT2()
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var probe struct {
		Model json.RawMessage `json:"model"`
	}
	if json.Unmarshal(data, &probe) == nil && len(probe.Model) > 0 && probe.Model[0] == '{' {
		t, err := ParseHF(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nameOrPath, err)
		}
		return t, nil
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return t, nil
}

// ParseHFVocab maps a tokenizer.json onto a Vocab (as llama.cpp's
// convert_hf_to_gguf does, plus the semantics GGUF leaves out).
func ParseHFVocab(data []byte) (Vocab, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Vocab{}, fmt.Errorf("tokenizer.json: %w", err)
	}
	m := f.Model
	if m.Type != "BPE" {
		return Vocab{}, fmt.Errorf("tokenizer.json: model type %q is not supported (BPE is)", m.Type)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return Vocab{}, errors.New("tokenizer.json: BPE with continuing_subword_prefix or end_of_word_suffix is not supported")
	}
	if len(m.Vocab) == 0 {
		return Vocab{}, errors.New("tokenizer.json: model.vocab is empty")
	}
	// Ids: the vocabulary and the added tokens, each id once, no gaps.
	n := int64(0)
	for tok, id := range m.Vocab {
		if id < 0 || id >= maxHFVocab {
			return Vocab{}, fmt.Errorf("tokenizer.json: token %q has id %d (0..%d allowed)", tok, id, maxHFVocab-1)
		}
		n = max(n, id+1)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID >= maxHFVocab {
			return Vocab{}, fmt.Errorf("tokenizer.json: added token %q has id %d (0..%d allowed)", a.Content, a.ID, maxHFVocab-1)
		}
		n = max(n, a.ID+1)
	}
	v := Vocab{Tokens: make([]string, n), Types: make([]int32, n)}
	seen := make([]bool, n)
	for tok, id := range m.Vocab {
		if seen[id] {
			return Vocab{}, fmt.Errorf("tokenizer.json: id %d is used by %q and %q", id, v.Tokens[id], tok)
		}
		seen[id] = true
		v.Tokens[id], v.Types[id] = tok, TypeNormal
	}
	for _, a := range f.AddedTokens {
		if seen[a.ID] && v.Tokens[a.ID] != a.Content {
			return Vocab{}, fmt.Errorf("tokenizer.json: added token %q has id %d, which is %q", a.Content, a.ID, v.Tokens[a.ID])
		}
		seen[a.ID] = true
		v.Tokens[a.ID] = a.Content
		v.Types[a.ID] = TypeUserDefined
		if a.Special {
			v.Types[a.ID] = TypeControl
		}
	}
	for id, ok := range seen {
		if !ok { // a gap: an unused id that no text produces
			v.Tokens[id], v.Types[id] = fmt.Sprintf("[PAD%d]", id), TypeUnused
		}
	}
	merges, err := hfMerges(m.Merges)
	if err != nil {
		return Vocab{}, err
	}
	v.Merges = merges

	var norm, pre hfStep
	if len(f.Normalizer) > 0 && string(f.Normalizer) != "null" {
		if err := json.Unmarshal(f.Normalizer, &norm); err != nil {
			return Vocab{}, fmt.Errorf("tokenizer.json: normalizer: %w", err)
		}
	}
	if len(f.PreTokenizer) > 0 && string(f.PreTokenizer) != "null" {
		if err := json.Unmarshal(f.PreTokenizer, &pre); err != nil {
			return Vocab{}, fmt.Errorf("tokenizer.json: pre_tokenizer: %w", err)
		}
	}
	pres := pre.flatten()
	byteLevel := false
	for _, p := range pres {
		if p.Type == "ByteLevel" {
			byteLevel = true
		}
	}
	if byteLevel {
		v.Model = "gpt2"
		v.IgnoreMerges = m.IgnoreMerges
		if err := hfByteLevelPre(&v, pres); err != nil {
			return Vocab{}, err
		}
		for _, s := range norm.flatten() {
			switch s.Type {
			case "NFC":
				v.NFC = true
			default:
				return Vocab{}, fmt.Errorf("tokenizer.json: normalizer %q is not supported with a byte-level model (NFC is)", s.Type)
			}
		}
		return v, nil
	}
	// SentencePiece-style: "▁" for spaces, an optional "▁" prefix, byte
	// fallback.
	v.Model = "llama"
	v.MergeRanks = true
	if len(pres) > 0 && !(len(pres) == 1 && pres[0].Type == "Metaspace") {
		return Vocab{}, fmt.Errorf("tokenizer.json: pre-tokenizer %q is not supported with a SentencePiece-style model", pres[0].Type)
	}
	replaced := false
	for _, s := range norm.flatten() {
		switch {
		case s.Type == "Prepend" && s.Prepend == "▁":
			v.AddSpacePrefix = true
		case s.Type == "Replace" && s.patternString() == " " && s.Content == "▁":
			replaced = true
		default:
			return Vocab{}, fmt.Errorf("tokenizer.json: normalizer %q is not supported with a SentencePiece-style model (Prepend ▁, Replace space with ▁ are)", s.Type)
		}
	}
	if len(pres) == 1 { // Metaspace pre-tokenizer: the newer form of the same rule
		replaced = true
		v.AddSpacePrefix = pres[0].AddPrefixSpace || strings.Contains(string(f.PreTokenizer), `"prepend_scheme":"always"`) || strings.Contains(string(f.PreTokenizer), `"prepend_scheme":"first"`)
	}
	if !replaced {
		return Vocab{}, errors.New("tokenizer.json: a non-byte-level BPE must map spaces to ▁ (normalizer Replace or Metaspace pre-tokenizer)")
	}
	for id, tok := range v.Tokens {
		switch {
		case m.UnkToken != nil && tok == *m.UnkToken:
			v.Types[id] = TypeUnknown
		case m.ByteFallback && v.Types[id] == TypeNormal && hfByteToken.MatchString(tok):
			v.Types[id] = TypeByte
		}
	}
	return v, nil
}

// hfByteLevelPre names the pre-tokenizer of a byte-level chain.
func hfByteLevelPre(v *Vocab, pres []hfStep) error {
	digits := false
	for _, p := range pres {
		switch p.Type {
		case "ByteLevel":
			if p.AddPrefixSpace {
				return errors.New("tokenizer.json: ByteLevel add_prefix_space is not supported")
			}
			if p.UseRegex == nil || *p.UseRegex {
				if v.Pre != "" {
					return errors.New("tokenizer.json: a Split pattern and ByteLevel use_regex together are not supported")
				}
				v.Pre = "gpt-2"
			}
		case "Digits":
			if !p.IndividualDigits {
				return errors.New("tokenizer.json: Digits without individual_digits is not supported")
			}
			digits = true
		case "Split":
			var pat struct{ Regex string }
			if err := json.Unmarshal(p.Pattern, &pat); err != nil || p.Behavior != "Isolated" {
				return fmt.Errorf("tokenizer.json: Split %s (%s) is not supported", p.Pattern, p.Behavior)
			}
			name, ok := hfSplitPatterns[pat.Regex]
			if !ok {
				return fmt.Errorf("tokenizer.json: Split pattern %q is not one Ponder knows (Llama 3, Qwen2, GPT-2)", pat.Regex)
			}
			v.Pre = name
		default:
			return fmt.Errorf("tokenizer.json: pre-tokenizer %q is not supported", p.Type)
		}
	}
	switch {
	case v.Pre == "":
		return errors.New("tokenizer.json: a byte-level model without a splitting rule is not supported")
	case digits && v.Pre != "gpt-2":
		return errors.New("tokenizer.json: Digits before a Split pattern is not supported")
	case digits:
		v.Pre = "smollm"
	}
	return nil
}

// hfMerges reads merges written as "a b" strings or as ["a", "b"] pairs.
func hfMerges(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		return strs, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("tokenizer.json: model.merges: %w", err)
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 || strings.Contains(p[0], " ") || strings.Contains(p[1], " ") {
			return nil, fmt.Errorf("tokenizer.json: merge %d is %q, want two tokens without spaces", i, p)
		}
		out[i] = p[0] + " " + p[1]
	}
	return out, nil
}

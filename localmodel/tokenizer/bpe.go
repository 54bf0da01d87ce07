// Package tokenizer holds the local runtime's tokenizers: byte-level BPE
// (GPT-2's, trained ones, and GGUF/Hugging Face "gpt2"-model vocabularies
// with their pre-tokenizers) and SentencePiece-style BPE with byte fallback
// (Llama 2, TinyLlama, Mistral). All of them turn any byte string into ids
// and back.
package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ponder-go/ponder/localmodel/tokenizer/gpt2bpe"
)

// BPE is a byte-level BPE tokenizer, compatible with GPT-2 when built
// by GPT2Tokenizer and trainable with TrainBPE. Any byte string encodes and
// decodes back to itself. Safe for concurrent use.
type BPE struct {
	tokens  [][]byte                 // id -> bytes
	byBytes map[string]int32         // bytes -> id
	merges  map[[2]int32]mergeResult // pair -> (rank, merged id)
	special map[string]int32         // special token text -> id
	// user-defined tokens are split out of any text, like llama.cpp and
	// Hugging Face do for added tokens that are not special.
	userDefined map[string]int32
	// pre names the pre-tokenizer: "" (GPT-2's), "llama3", "qwen2" or
	// "digits" (every digit alone, then GPT-2's: SmolLM, StarCoder).
	pre string
	// ignoreMerges takes a pre-token that is a whole vocabulary entry as
	// that token without merging (Llama 3's tokenizer.json, llama.cpp's
	// llama-bpe).
	ignoreMerges bool
	// nfc normalizes text to Unicode NFC before splitting (Qwen's
	// tokenizer.json; llama.cpp's GGUF tokenizers do not).
	nfc bool
	// SplitDigits makes every digit its own pre-token, so numbers are
	// spelled digit by digit (the trained tiny models need that).
	SplitDigits bool

	cacheMu sync.RWMutex
	cache   map[string][]int32
}

type mergeResult struct {
	rank int32
	id   int32
}

// EndOfText is GPT-2's special token.
const EndOfText = "<|endoftext|>"

// byteUnicode is GPT-2's reversible byte -> printable rune table.
var byteUnicode, unicodeByte = func() ([256]rune, map[rune]byte) {
	var bu [256]rune
	ub := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			bu[b] = rune(b)
		} else {
			bu[b] = rune(256 + n)
			n++
		}
		ub[bu[b]] = byte(b)
	}
	return bu, ub
}()

// GPT2Bytes writes bytes in GPT-2's vocabulary alphabet (the form of
// byte-level BPE tokens in GGUF and tokenizer.json files).
func GPT2Bytes(b []byte) string { return bytesToUnicode(b) }

// bytesToUnicode renders bytes in GPT-2's vocabulary alphabet.
func bytesToUnicode(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(byteUnicode[c])
	}
	return sb.String()
}

func unicodeToBytes(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := unicodeByte[r]
		if !ok {
			return nil, fmt.Errorf("character %q is not in GPT-2's byte alphabet", r)
		}
		out = append(out, b)
	}
	return out, nil
}

var (
	gpt2Once sync.Once
	gpt2Tok  *BPE
	gpt2Err  error
)

// GPT2Tokenizer returns GPT-2's tokenizer from the embedded files.
func GPT2() (*BPE, error) {
	gpt2Once.Do(func() { gpt2Tok, gpt2Err = LoadGPT2(gpt2bpe.Encoder, gpt2bpe.Merges) })
	return gpt2Tok, gpt2Err
}

// LoadGPT2 builds a tokenizer from encoder.json and vocab.bpe contents.
func LoadGPT2(encoderJSON, vocabBPE []byte) (*BPE, error) {
	var enc map[string]int32
	if err := json.Unmarshal(encoderJSON, &enc); err != nil {
		return nil, fmt.Errorf("tokenizer: encoder.json: %w", err)
	}
	t := newTokenizer(len(enc))
	for s, id := range enc {
		if id < 0 || int(id) >= len(enc) {
			return nil, fmt.Errorf("tokenizer: encoder.json: id %d of %q out of range", id, s)
		}
		if s == EndOfText {
			t.special[s] = id
			t.tokens[id] = []byte(s)
			continue
		}
		b, err := unicodeToBytes(s)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: encoder.json: token %q: %w", s, err)
		}
		t.tokens[id] = b
		t.byBytes[string(b)] = id
	}
	for id, b := range t.tokens {
		if b == nil {
			return nil, fmt.Errorf("tokenizer: encoder.json: no token has id %d", id)
		}
	}
	lines := strings.Split(string(vocabBPE), "\n")
	rank := int32(0)
	for i, l := range lines {
		if i == 0 && strings.HasPrefix(l, "#version") || l == "" {
			continue
		}
		a, b, ok := strings.Cut(l, " ")
		if !ok {
			return nil, fmt.Errorf("tokenizer: vocab.bpe line %d: want two symbols, got %q", i+1, l)
		}
		ab, err1 := unicodeToBytes(a)
		bb, err2 := unicodeToBytes(b)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("tokenizer: vocab.bpe line %d: %w", i+1, err)
		}
		ia, okA := t.byBytes[string(ab)]
		ib, okB := t.byBytes[string(bb)]
		im, okM := t.byBytes[string(ab)+string(bb)]
		if !okA || !okB || !okM {
			return nil, fmt.Errorf("tokenizer: vocab.bpe line %d: merge %q has a part or result missing from encoder.json", i+1, l)
		}
		t.merges[[2]int32{ia, ib}] = mergeResult{rank, im}
		rank++
	}
	return t, nil
}

func newTokenizer(n int) *BPE {
	return &BPE{tokens: make([][]byte, n), byBytes: map[string]int32{}, merges: map[[2]int32]mergeResult{},
		special: map[string]int32{}, userDefined: map[string]int32{}, cache: map[string][]int32{}}
}

// Specials lists the ids of the special tokens (constraints never offer them
// as text).
func (t *BPE) Specials() []int32 {
	out := make([]int32, 0, len(t.special))
	for _, id := range t.special {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// VocabSize is the number of token ids.
func (t *BPE) VocabSize() int { return len(t.tokens) }

// SpecialID returns the id of a special token such as EndOfText.
func (t *BPE) SpecialID(s string) (int32, bool) {
	id, ok := t.special[s]
	return id, ok
}

// Token returns the bytes of a token id.
func (t *BPE) Token(id int32) []byte {
	if id < 0 || int(id) >= len(t.tokens) {
		return nil
	}
	return t.tokens[id]
}

// Encode tokenizes text with special tokens treated as plain text.
func (t *BPE) Encode(text string) []int32 {
	if len(t.userDefined) > 0 {
		return splitOn(text, t.userDefined, nil, t.encodeText)
	}
	return t.encodeText(text)
}

func (t *BPE) encodeText(text string) []int32 {
	var out []int32
	var words []string
	if t.nfc {
		text = norm.NFC.String(text)
	}
	switch t.pre {
	case "llama3", "qwen2":
		words = pretokenizeLlama3(text, t.pre == "qwen2")
	case "digits":
		words = t.pretokenizeDigits(text)
	default:
		words = t.pretokenize(text)
	}
	for _, w := range words {
		out = append(out, t.bpe(w)...)
	}
	return out
}

// EncodeSpecial is Encode with the special tokens (e.g. "<|endoftext|>")
// encoded as their single ids wherever they appear.
func (t *BPE) EncodeSpecial(text string) []int32 {
	return splitOn(text, t.special, t.userDefined, t.encodeText)
}

// splitOn encodes text with every occurrence of a token of a or b (the
// longest at the earliest position) as its id and the text between them
// with enc.
func splitOn(text string, a, b map[string]int32, enc func(string) []int32) []int32 {
	var out []int32
	for len(text) > 0 {
		at, which, id := -1, "", int32(0)
		for _, m := range []map[string]int32{a, b} {
			for s, sid := range m {
				if s == "" {
					continue
				}
				if i := strings.Index(text, s); i >= 0 && (at < 0 || i < at || i == at && len(s) > len(which)) {
					at, which, id = i, s, sid
				}
			}
		}
		if at < 0 {
			return append(out, enc(text)...)
		}
		out = append(out, enc(text[:at])...)
		out = append(out, id)
		text = text[at+len(which):]
	}
	return out
}

// Decode turns ids back into bytes; unknown ids are an error.
func (t *BPE) Decode(ids []int32) ([]byte, error) {
	var out []byte
	for i, id := range ids {
		if id < 0 || int(id) >= len(t.tokens) {
			return out, fmt.Errorf("tokenizer: token %d at position %d is outside the vocabulary of %d", id, i, len(t.tokens))
		}
		out = append(out, t.tokens[id]...)
	}
	return out, nil
}

// bpe encodes one pre-token: repeatedly merge the adjacent pair of lowest
// rank (leftmost on ties). The pairs wait in a heap and the symbols form a
// linked list, so a word of n bytes costs O(n log n) however long it is
// (a megabyte of letters without a space is one word).
func (t *BPE) bpe(word string) []int32 {
	t.cacheMu.RLock()
	ids, ok := t.cache[word]
	t.cacheMu.RUnlock()
	if ok {
		return ids
	}
	if t.ignoreMerges && len(word) > 1 {
		if id, ok := t.byBytes[word]; ok {
			return []int32{id}
		}
	}
	syms := make([]bpeSymbol, len(word))
	for i := range syms {
		syms[i] = bpeSymbol{id: t.byBytes[word[i:i+1]], prev: i - 1, next: i + 1}
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	h := make(pairHeap, 0, len(syms))
	try := func(l int) {
		r := syms[l].next
		if l < 0 || r < 0 {
			return
		}
		if m, ok := t.merges[[2]int32{syms[l].id, syms[r].id}]; ok {
			h.push(pair{key: uint64(m.rank)<<32 | uint64(l), right: int32(r), a: syms[l].id, b: syms[r].id, merged: m.id})
		}
	}
	for i := 0; i+1 < len(syms); i++ {
		try(i)
	}
	for len(h) > 0 {
		p := h.pop()
		left, right := p.left(), int(p.right)
		l, r := &syms[left], &syms[right]
		if l.dead || r.dead || l.next != right || l.id != p.a || r.id != p.b {
			continue // stale: a side took part in another merge since
		}
		l.id, l.next, r.dead = p.merged, r.next, true
		if r.next >= 0 {
			syms[r.next].prev = left
		}
		if l.prev >= 0 {
			try(l.prev)
		}
		try(left)
	}
	syms0 := make([]int32, 0, 8)
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		syms0 = append(syms0, syms[i].id)
	}
	if len(word) <= 64 {
		t.cacheMu.Lock()
		if len(t.cache) > 100_000 {
			t.cache = map[string][]int32{}
		}
		t.cache[word] = syms0
		t.cacheMu.Unlock()
	}
	return syms0
}

// bpeSymbol is a token of a word being merged, in a linked list.
type bpeSymbol struct {
	id         int32
	prev, next int
	dead       bool
}

// pair is a candidate merge of the symbols at left and right (ids a, b);
// key orders the heap by rank, then position.
type pair struct {
	key          uint64
	a, b, merged int32
	right        int32
}

func (p pair) left() int { return int(uint32(p.key)) }

// pairHeap is a binary min-heap of pairs by (rank, left), written out
// rather than through container/heap so pushes do not box.
type pairHeap []pair

func (h pairHeap) less(i, j int) bool { return h[i].key < h[j].key }

func (h *pairHeap) push(p pair) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		up := (i - 1) / 2
		if !s.less(i, up) {
			break
		}
		s[i], s[up] = s[up], s[i]
		i = up
	}
}

func (h *pairHeap) pop() pair {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s.less(l, m) {
			m = l
		}
		if l+1 < n && s.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// Character classes of GPT-2's pre-tokenizer pattern
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// An invalid UTF-8 byte counts as "other" (neither letter, number nor space).
const (
	clsOther = iota
	clsLetter
	clsNumber
	clsSpace
)

func class(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size <= 1:
		return clsOther
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// pretokenize splits text the way GPT-2's regex does, written out by hand
// because Go's regexp has no lookahead for the \s+(?!\S) branch.
func (t *BPE) pretokenize(s string) []string {
	var out []string
	i := 0
	at := func(j int) (rune, int, int) {
		if j >= len(s) {
			return 0, 0, -1
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		return r, n, class(r, n)
	}
	// run extends from j over runes of class c; with one set, only one.
	run := func(j, c int, one bool) int {
		for {
			_, n, cl := at(j)
			if cl != c {
				return j
			}
			j += n
			if one {
				return j
			}
		}
	}
	for i < len(s) {
		// Contractions.
		if s[i] == '\'' {
			matched := false
			for _, c := range []string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"} {
				if strings.HasPrefix(s[i:], c) {
					out = append(out, c)
					i += len(c)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		r, n, c := at(i)
		start := i
		// " ?X+" for letters, numbers and others: an optional leading space.
		j := i
		if r == ' ' {
			_, _, c2 := at(i + n)
			if c2 == clsLetter || c2 == clsNumber || c2 == clsOther {
				j, c = i+n, c2
			}
		}
		switch c {
		case clsLetter, clsOther:
			end := run(j, c, false)
			out = append(out, s[start:end])
			i = end
			continue
		case clsNumber:
			end := run(j, c, t.SplitDigits)
			out = append(out, s[start:end])
			i = end
			continue
		}
		// Whitespace: \s+(?!\S) takes the run but leaves its last
		// character when a non-space follows; \s+ takes a lone one.
		end := run(i, clsSpace, false)
		if end < len(s) && end-i > 0 {
			_, last := utf8.DecodeLastRuneInString(s[i:end])
			if end-last > i {
				end -= last
			}
		}
		out = append(out, s[i:end])
		i = end
	}
	return out
}

// pretokenizeDigits isolates every digit (\p{N}) and splits the text
// between them with GPT-2's pattern: llama.cpp's "smollm", "starcoder" and
// "refact" pre-tokenizers, Hugging Face's Digits(individual) + ByteLevel.
func (t *BPE) pretokenizeDigits(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r != utf8.RuneError && unicode.IsNumber(r) {
			if start < i {
				out = append(out, t.pretokenize(s[start:i])...)
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			out = append(out, s[i:i+n])
			start = i + n
		}
	}
	if start < len(s) {
		out = append(out, t.pretokenize(s[start:])...)
	}
	return out
}

// tokenizerFile is the JSON form of a trained tokenizer.
type tokenizerFile struct {
	Version     int              `json:"version"`
	Type        string           `json:"type"`
	SplitDigits bool             `json:"split_digits"`
	Merges      [][2]string      `json:"merges"`  // in GPT-2's byte alphabet, rank order
	Special     map[string]int32 `json:"special"` // text -> id
}

// MarshalJSON saves a tokenizer (ids 0..255 are the bytes; then merges in
// rank order; then special tokens).
func (t *BPE) MarshalJSON() ([]byte, error) {
	f := tokenizerFile{Version: 1, Type: "bpe", SplitDigits: t.SplitDigits, Special: t.special}
	for _, pair := range t.rankedMerges() {
		f.Merges = append(f.Merges, [2]string{bytesToUnicode(t.tokens[pair[0]]), bytesToUnicode(t.tokens[pair[1]])})
	}
	return json.Marshal(f)
}

// Parse reads a tokenizer saved with MarshalJSON.
func Parse(data []byte) (*BPE, error) {
	var f tokenizerFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer: %w", err)
	}
	if f.Type != "bpe" || f.Version != 1 {
		return nil, fmt.Errorf("tokenizer: tokenizer: unsupported type %q version %d", f.Type, f.Version)
	}
	t := newTokenizer(256)
	t.SplitDigits = f.SplitDigits
	for b := 0; b < 256; b++ {
		t.tokens[b] = []byte{byte(b)}
		t.byBytes[string([]byte{byte(b)})] = int32(b)
	}
	for i, mg := range f.Merges {
		a, err1 := unicodeToBytes(mg[0])
		b, err2 := unicodeToBytes(mg[1])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("tokenizer: tokenizer merge %d: %w", i, err)
		}
		ia, okA := t.byBytes[string(a)]
		ib, okB := t.byBytes[string(b)]
		if !okA || !okB {
			return nil, fmt.Errorf("tokenizer: tokenizer merge %d (%q %q) uses an unknown token", i, mg[0], mg[1])
		}
		id := int32(len(t.tokens))
		merged := append(append([]byte{}, a...), b...)
		t.tokens = append(t.tokens, merged)
		t.byBytes[string(merged)] = id
		t.merges[[2]int32{ia, ib}] = mergeResult{int32(i), id}
	}
	specials := make([]string, 0, len(f.Special))
	for s := range f.Special {
		specials = append(specials, s)
	}
	sort.Slice(specials, func(i, j int) bool { return f.Special[specials[i]] < f.Special[specials[j]] })
	for _, s := range specials {
		id := f.Special[s]
		if int(id) != len(t.tokens) {
			return nil, fmt.Errorf("tokenizer: tokenizer: special token %q has id %d, want %d", s, id, len(t.tokens))
		}
		t.tokens = append(t.tokens, []byte(s))
		t.special[s] = id
	}
	return t, nil
}

// Load reads "gpt2" (the embedded GPT-2 tokenizer) or a file
// written by Save.
func Load(nameOrPath string) (*BPE, error) {
	if nameOrPath == "" || nameOrPath == "gpt2" {
		return GPT2()
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return Parse(data)
}

// Save writes t as JSON.
func Save(t *BPE, path string) error {
	b, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Vocab describes t as a "gpt2" vocabulary (tokens in GPT-2's byte
// alphabet, merges in rank order, special tokens as control tokens), for
// writing it into a GGUF file.
func (t *BPE) Vocab() Vocab {
	v := Vocab{Model: "gpt2", Pre: "gpt-2", Tokens: make([]string, len(t.tokens)), Types: make([]int32, len(t.tokens))}
	for id, b := range t.tokens {
		v.Tokens[id], v.Types[id] = bytesToUnicode(b), TypeNormal
	}
	for s, id := range t.special {
		v.Tokens[id], v.Types[id] = s, TypeControl
	}
	for s, id := range t.userDefined {
		v.Tokens[id], v.Types[id] = s, TypeUserDefined
	}
	for _, pair := range t.rankedMerges() {
		v.Merges = append(v.Merges, bytesToUnicode(t.tokens[pair[0]])+" "+bytesToUnicode(t.tokens[pair[1]]))
	}
	switch t.pre {
	case "llama3":
		v.Pre = "llama-bpe"
	case "qwen2":
		v.Pre = "qwen2"
	case "digits":
		v.Pre = "smollm"
	}
	return v
}

// rankedMerges lists the merge pairs in rank order.
func (t *BPE) rankedMerges() [][2]int32 {
	out := make([][2]int32, 0, len(t.merges))
	for p := range t.merges {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return t.merges[out[i]].rank < t.merges[out[j]].rank })
	return out
}

package tokenizer

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// SentencePiece is SentencePiece-style BPE with scores and byte fallback,
// as llama.cpp runs "llama" vocabularies (Llama 2, TinyLlama, Mistral):
// spaces become "▁", the text gets a leading "▁", characters merge pairwise
// by the score of the merged piece (highest first, leftmost on ties), and
// pieces outside the vocabulary fall back to <0xXX> byte tokens.
type SentencePiece struct {
	pieces      []string
	text        [][]byte // decoded bytes by id
	byPiece     map[string]int32
	scores      []float32
	bytes       [256]int32
	special     map[string]int32 // control tokens
	userDefined map[string]int32
	unknown     int32
	prefix      bool
	// ranks, when set, orders merges by pair rank (Hugging Face BPE).
	ranks       map[[2]int32]int32
	fuseUnknown bool
}

func newSentencePiece(v Vocab) (*SentencePiece, error) {
	if v.MergeRanks && v.Scores == nil {
		v.Scores = make([]float32, len(v.Tokens))
	}
	if len(v.Scores) != len(v.Tokens) {
		return nil, fmt.Errorf("tokenizer: %d scores for %d tokens", len(v.Scores), len(v.Tokens))
	}
	t := &SentencePiece{pieces: v.Tokens, scores: v.Scores, byPiece: make(map[string]int32, len(v.Tokens)),
		text: make([][]byte, len(v.Tokens)), special: map[string]int32{}, userDefined: map[string]int32{},
		unknown: -1, prefix: v.AddSpacePrefix}
	for i := range t.bytes {
		t.bytes[i] = -1
	}
	for id, p := range v.Tokens {
		switch v.typeOf(id) {
		case TypeControl:
			t.special[p] = int32(id)
			t.text[id] = []byte(p)
			continue
		case TypeUnknown:
			t.unknown = int32(id)
			t.text[id] = []byte(p)
			continue
		case TypeByte:
			var b byte
			if _, err := fmt.Sscanf(p, "<0x%02X>", &b); err != nil {
				return nil, fmt.Errorf("tokenizer: byte token %d is %q", id, p)
			}
			t.bytes[b] = int32(id)
			t.text[id] = []byte{b}
			continue
		case TypeUserDefined:
			t.userDefined[p] = int32(id)
		}
		t.text[id] = []byte(strings.ReplaceAll(p, "▁", " "))
		if _, dup := t.byPiece[p]; !dup {
			t.byPiece[p] = int32(id)
		}
	}
	if v.MergeRanks {
		t.ranks = make(map[[2]int32]int32, len(v.Merges))
		t.fuseUnknown = true
		for rank, m := range v.Merges {
			a, b, ok := strings.Cut(m, " ")
			if !ok {
				return nil, fmt.Errorf("tokenizer: merge %d %q is not two tokens", rank, m)
			}
			ia, okA := t.byPiece[a]
			ib, okB := t.byPiece[b]
			if _, okM := t.byPiece[a+b]; !okA || !okB || !okM {
				continue
			}
			if _, dup := t.ranks[[2]int32{ia, ib}]; !dup {
				t.ranks[[2]int32{ia, ib}] = int32(rank)
			}
		}
	}
	return t, nil
}

// VocabSize is the number of ids.
func (t *SentencePiece) VocabSize() int { return len(t.pieces) }

// Token is the text a token stands for ("▁" as a space, bytes as bytes).
func (t *SentencePiece) Token(id int32) []byte {
	if id < 0 || int(id) >= len(t.text) {
		return nil
	}
	return t.text[id]
}

// SpecialID returns the id of a control token such as "<s>".
func (t *SentencePiece) SpecialID(s string) (int32, bool) {
	id, ok := t.special[s]
	return id, ok
}

// Specials lists the control tokens' ids.
func (t *SentencePiece) Specials() []int32 {
	out := make([]int32, 0, len(t.special)+1)
	for _, id := range t.special {
		out = append(out, id)
	}
	if t.unknown >= 0 {
		out = append(out, t.unknown)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Decode turns ids into bytes.
func (t *SentencePiece) Decode(ids []int32) ([]byte, error) {
	var out []byte
	for i, id := range ids {
		if id < 0 || int(id) >= len(t.text) {
			return out, fmt.Errorf("tokenizer: token %d at position %d is outside the vocabulary of %d", id, i, len(t.text))
		}
		out = append(out, t.text[id]...)
	}
	return out, nil
}

// Encode tokenizes text (control-token text as plain text), with the
// leading "▁" when the vocabulary asks for it. Like llama.cpp and Hugging
// Face, every stretch of text between split-out tokens gets the prefix.
func (t *SentencePiece) Encode(text string) []int32 {
	return splitOn(text, t.userDefined, nil, t.encodeText)
}

// EncodeSpecial is Encode with control tokens ("<s>", "[INST]"...) read as
// their ids.
func (t *SentencePiece) EncodeSpecial(text string) []int32 {
	return splitOn(text, t.special, t.userDefined, t.encodeText)
}

// symbol is a piece s[start:end] of the text being merged, in a linked
// list.
type symbol struct {
	start, end int
	prev, next int
}

type bigram struct {
	left, right int
	score       float32
	size        int // bytes of the merged text, to detect stale entries
}

type bigrams []bigram

func (h bigrams) Len() int { return len(h) }
func (h bigrams) Less(i, j int) bool {
	return h[i].score > h[j].score || h[i].score == h[j].score && h[i].left < h[j].left
}
func (h bigrams) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *bigrams) Push(x any)   { *h = append(*h, x.(bigram)) }
func (h *bigrams) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// encodeText merges the characters of one stretch of text. The pairs wait
// in a heap, so n characters cost O(n log n).
func (t *SentencePiece) encodeText(s string) []int32 {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, " ", "▁")
	if t.prefix {
		s = "▁" + s
	}
	syms := make([]symbol, 0, len(s))
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:]) // an invalid byte is a symbol of its own
		syms = append(syms, symbol{start: i, end: i + n, prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	syms[len(syms)-1].next = -1
	h := &bigrams{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		a, b := syms[l], syms[r]
		id, ok := t.byPiece[s[a.start:b.end]]
		if !ok {
			return
		}
		score := t.scores[id]
		if t.ranks != nil { // Hugging Face: the pair's merge rank decides
			ia, okA := t.byPiece[s[a.start:a.end]]
			ib, okB := t.byPiece[s[b.start:b.end]]
			rank, okR := t.ranks[[2]int32{ia, ib}]
			if !okA || !okB || !okR {
				return
			}
			score = -float32(rank)
		}
		heap.Push(h, bigram{l, r, score, b.end - a.start})
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for h.Len() > 0 {
		b := heap.Pop(h).(bigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.start == l.end || r.start == r.end || l.next != b.right || r.end-l.start != b.size {
			continue // stale: one side was merged already
		}
		l.end = r.end
		r.start = r.end
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	var out []int32
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		p := s[syms[i].start:syms[i].end]
		if id, ok := t.byPiece[p]; ok {
			out = append(out, id)
			continue
		}
		unknown := false
		for k := 0; k < len(p); k++ {
			if id := t.bytes[p[k]]; id >= 0 {
				out = append(out, id)
			} else if t.unknown >= 0 && !(unknown && t.fuseUnknown) {
				out = append(out, t.unknown)
				unknown = true
			}
		}
	}
	return out
}

package tokenizer

import (
	"fmt"
	"sort"
)

// TrainBPE learns a byte-level BPE vocabulary of vocabSize tokens (256 byte
// tokens, then merges, then the special tokens) from texts, pre-tokenized
// like GPT-2. With splitDigits every digit stays a single token, so a model
// reads and writes numbers digit by digit. Deterministic: ties between
// equally frequent pairs go to the smaller pair of ids.
func TrainBPE(texts []string, vocabSize int, splitDigits bool, special ...string) (*BPE, error) {
	if vocabSize < 256+len(special) {
		return nil, fmt.Errorf("tokenizer: vocabulary size %d is below the 256 byte tokens plus %d special", vocabSize, len(special))
	}
	t := newTokenizer(256)
	t.SplitDigits = splitDigits
	for b := 0; b < 256; b++ {
		t.tokens[b] = []byte{byte(b)}
		t.byBytes[string([]byte{byte(b)})] = int32(b)
	}
	// Count pre-tokens.
	counts := map[string]int{}
	for _, text := range texts {
		for _, w := range t.pretokenize(text) {
			counts[w]++
		}
	}
	type word struct {
		syms []int32
		n    int
	}
	keys := make([]string, 0, len(counts))
	for w := range counts {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	words := make([]word, 0, len(keys))
	for _, w := range keys {
		syms := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			syms[i] = int32(w[i])
		}
		words = append(words, word{syms, counts[w]})
	}
	isDigit := func(id int32) bool {
		b := t.tokens[id]
		return len(b) == 1 && b[0] >= '0' && b[0] <= '9'
	}
	target := vocabSize - len(special)
	for len(t.tokens) < target {
		pairs := map[[2]int32]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w.syms); i++ {
				a, b := w.syms[i], w.syms[i+1]
				if splitDigits && (isDigit(a) || isDigit(b)) {
					continue // digits never merge
				}
				pairs[[2]int32{a, b}] += w.n
			}
		}
		var best [2]int32
		bestN := 0
		for p, n := range pairs {
			if n > bestN || n == bestN && (p[0] < best[0] || p[0] == best[0] && p[1] < best[1]) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break // nothing repeats: stop early
		}
		id := int32(len(t.tokens))
		merged := append(append([]byte{}, t.tokens[best[0]]...), t.tokens[best[1]]...)
		t.tokens = append(t.tokens, merged)
		t.byBytes[string(merged)] = id
		t.merges[best] = mergeResult{int32(len(t.merges)), id}
		for wi := range words {
			s := words[wi].syms
			out := s[:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best[0] && s[i+1] == best[1] {
					out = append(out, id)
					i++
				} else {
					out = append(out, s[i])
				}
			}
			words[wi].syms = out
		}
	}
	for _, s := range special {
		t.special[s] = int32(len(t.tokens))
		t.tokens = append(t.tokens, []byte(s))
	}
	return t, nil
}

// Package tokentest holds the text that tokenizer tests compare with their
// references: a fixed corpus and random strings that stress pre-tokenizers
// and merges. Only tests import it.
package tokentest

import (
	_ "embed"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed corpus.txt
var corpusFile string

// Corpus is varied text: code, numbers such as 39,538,223, whitespace runs,
// CJK, emoji, combining marks, special-token text and invalid UTF-8.
func Corpus() []string {
	var out []string
	for i, line := range strings.Split(corpusFile, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := strconv.Unquote(line)
		if err != nil {
			panic("tokentest: corpus.txt line " + strconv.Itoa(i+1) + ": " + err.Error())
		}
		out = append(out, s)
	}
	return out
}

// Random makes n random strings (the same for the same seed) from pieces
// that stress pre-tokenizers and merges.
func Random(n int, seed uint64) []string {
	pieces := []string{"a", "Z", "the", " ", "  ", "\t", "\n", "\r\n", "0", "12", "345", "'s", "'LL", "'", ".", ",",
		"!?", "—", "é", "e\u0301", "日本", "中", "한", "🙂", "👍🏽", "\u200d", "\u00a0", "<|im_end|>", "<s>", "</s>",
		"▁", "Ġ", "_", "(", ")", "{", "}", "\\", "\"", "ß", "İ", "Σ", "ﬁ", "１", "٣", "½", "$", "€"}
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		for k := r.IntN(20); k >= 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		out[i] = sb.String()
	}
	return out
}

// ValidUTF8 replaces each invalid byte with U+FFFD, as JSON hands a string
// to JavaScript (whose strings cannot hold invalid UTF-8).
func ValidUTF8(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	return sb.String()
}

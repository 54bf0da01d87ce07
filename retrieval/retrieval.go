// Package retrieval finds the passages a model should read: documents and
// chunks, lexical (BM25) and vector retrieval, and their fusion.
package retrieval

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/ponder-go/ponder/internal/clip"
)

// Document is a unit of text to retrieve: a whole document or a chunk of one.
type Document struct {
	ID       string            `json:"id"`
	Title    string            `json:"title,omitempty"`
	Text     string            `json:"text"`
	Source   string            `json:"source,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Result is a retrieved document with its score (higher is better; scales
// differ between retrievers).
type Result struct {
	Document
	Score float64 `json:"score"`
	// Embedding is the stored vector, when the retriever has it.
	Embedding []float32 `json:"-"`
}

// String shows a result for people: id, score, title and the start of the
// text (%v and %+v use it, so the embedding's floats are not dumped).
func (r Result) String() string {
	s := fmt.Sprintf("%s (score %.4f", r.ID, r.Score)
	if r.Title != "" {
		s += ", " + r.Title
	}
	if len(r.Embedding) > 0 {
		s += fmt.Sprintf(", %d-dim embedding", len(r.Embedding))
	}
	return s + "): " + clip.String(strings.Join(strings.Fields(r.Text), " "), 80)
}

// Retriever returns up to k documents for a query, best first. Asking for
// more than exist returns what exists; an empty index returns none.
type Retriever interface {
	Retrieve(ctx context.Context, query string, k int) ([]Result, error)
}

// stopwords are dropped by Tokenize: frequent words that carry no topic.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be by did do does for from had has have how in is it its
		of on or than that the their this to was were what when where which who why will with many much times`) {
		stopwords[w] = true
	}
}

// Tokenize splits text into lower-case word and number tokens for lexical
// matching: letters and digits form tokens, a possessive "'s" is dropped
// ("California's" -> "california"), thousands separators inside numbers are
// kept out ("39,538,223" -> "39538223"), and stopwords are removed.
func Tokenize(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			w := b.String()
			b.Reset()
			if !stopwords[w] {
				out = append(out, w)
			}
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case (r == ',' || r == '.') && b.Len() > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) && i > 0 && unicode.IsDigit(rs[i-1]):
			if r == '.' {
				b.WriteRune('.')
			} // a comma between digits is a thousands separator: skip it
		case (r == '\'' || r == '’') && i+1 < len(rs) && (rs[i+1] == 's' || rs[i+1] == 'S') && (i+2 >= len(rs) || !unicode.IsLetter(rs[i+2])):
			i++ // possessive
			flush()
		default:
			flush()
		}
	}
	flush()
	return out
}

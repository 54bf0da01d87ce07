package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/tools/corpus"
)

// Search looks things up through a retrieval backend: the bundled offline
// corpus by default, or anything implementing retrieval.Retriever (a vector
// store, an HTTP search API).
type Search struct {
	Backend retrieval.Retriever
	// K is the number of passages shown per search (default 2).
	K int
	// MaxChars trims each passage (default 500).
	MaxChars int
}

// NewStateSearch returns a Search over the bundled US state facts.
func NewStateSearch() (*Search, error) {
	docs, err := corpus.Passages()
	if err != nil {
		return nil, err
	}
	return &Search{Backend: retrieval.NewBM25(docs...)}, nil
}

func (s *Search) Name() string { return "search" }
func (s *Search) Description() string {
	return "Searches an encyclopedia and returns the best matching passages, e.g. search[population of California]."
}
func (s *Search) Schema() json.RawMessage {
	return StringSchema("query", "what to look up, e.g. population of California")
}

// Call runs the query and renders the passages as "[1] Title: text" lines.
func (s *Search) Call(ctx context.Context, query string) (string, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return "", errors.New("search: empty query")
	}
	if s.Backend == nil {
		return "", errors.New("search: no backend configured")
	}
	k := s.K
	if k <= 0 {
		k = 2
	}
	maxChars := s.MaxChars
	if maxChars <= 0 {
		maxChars = 500
	}
	res, err := s.Backend.Retrieve(ctx, query, k)
	if err != nil {
		return "", fmt.Errorf("search: %w", err)
	}
	if len(res) == 0 {
		return fmt.Sprintf("No results for %q.", query), nil
	}
	var b strings.Builder
	for i, r := range res {
		if i > 0 {
			b.WriteString("\n")
		}
		text := r.Text
		if len(text) > maxChars {
			text = text[:maxChars] + "…"
		}
		fmt.Fprintf(&b, "[%d] %s: %s", i+1, r.Title, text)
	}
	return b.String(), nil
}

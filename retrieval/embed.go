package retrieval

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
)

// HashEmbedder is the local, offline default embedder: deterministic, no
// weights, no network. A text becomes a feature-hashed vector of its words
// (stopwords dropped, sublinear term frequency), word bigrams, and the
// character n-grams of each word (so "populations" still meets
// "population"), with signed hashing to cancel collision bias, then
// L2-normalised. A text with no features maps to a fixed unit vector, so a
// zero vector never reaches the store (chromem would turn it into NaN).
type HashEmbedder struct {
	// Dim is the vector length (default 1024). Words, bigrams and n-grams
	// share it by hashing; at 384 their collisions cost the vector search
	// on states-dev recall@5 0.928 against 0.990 at 1024.
	Dim int
	// MinGram..MaxGram are the character n-gram sizes (default 3..5);
	// GramWeight scales them against whole words (default 0.35);
	// BigramWeight scales word bigrams (default 0.5).
	MinGram, MaxGram         int
	GramWeight, BigramWeight float64
}

func (h *HashEmbedder) dim() int { return def(h.Dim, 1024) }

func def(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Embed implements llm.Embedder.
func (h *HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (h *HashEmbedder) Vector(text string) []float32 { return h.WeightedVector(text, nil) }

// WeightedVector embeds text with each word's features scaled by weight(word)
// (nil: 1). Queries use it with corpus IDF: stored documents stay plain
// term-frequency vectors, so the dot product becomes TF-IDF without
// re-embedding anything when the corpus changes.
func (h *HashEmbedder) WeightedVector(text string, weight func(word string) float64) []float32 {
	dim := h.dim()
	lo, hi := def(h.MinGram, 3), def(h.MaxGram, 5)
	gw := h.GramWeight
	if gw == 0 {
		gw = 0.35
	}
	bw := h.BigramWeight
	if bw == 0 {
		bw = 0.5
	}
	counts := map[string]float64{}
	scale := map[string]float64{}
	toks := Tokenize(text)
	wt := func(t string) float64 {
		if weight == nil {
			return 1
		}
		return weight(t)
	}
	for i, t := range toks {
		counts["w:"+t]++
		scale["w:"+t] = wt(t)
		if i > 0 {
			b := "b:" + toks[i-1] + " " + t
			counts[b] += bw
			scale[b] = (wt(toks[i-1]) + wt(t)) / 2
		}
		w := "<" + t + ">"
		if len(w) > 3*hi {
			w = w[:3*hi] // bound work on very long tokens
		}
		for n := lo; n <= hi; n++ {
			for j := 0; j+n <= len(w); j++ {
				g := "c:" + w[j:j+n]
				counts[g] += gw
				scale[g] = max(scale[g], wt(t))
			}
		}
	}
	v := make([]float64, dim)
	hf := fnv.New64a()
	for f, c := range counts {
		hf.Reset()
		hf.Write([]byte(f))
		x := hf.Sum64()
		w := 1 + math.Log(c)
		if c < 1 {
			w = c // fractional (weighted) features below one occurrence
		}
		w *= scale[f]
		if x>>63 == 1 {
			w = -w
		}
		v[x%uint64(dim)] += w
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, dim)
	if norm == 0 {
		out[0] = 1
		return out
	}
	inv := 1 / math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out
}

// nonZero reports whether v has a non-zero, finite component and no NaN.
func nonZero(v []float32) bool {
	any := false
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
		if x != 0 {
			any = true
		}
	}
	return any
}

func joinTitle(d Document) string {
	if d.Title == "" || strings.HasPrefix(d.Text, d.Title) {
		return d.Text
	}
	return d.Title + "\n" + d.Text
}

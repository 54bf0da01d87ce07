package retrieval

import (
	"context"
	"math"
	"sort"
	"sync"
)

// BM25 is an in-memory lexical index with Okapi BM25 scoring. Safe for
// concurrent use; Add may be called while others Retrieve.
type BM25 struct {
	// K1 and B are the BM25 parameters (defaults 0.9 and 0.4, the values
	// Anserini uses for passage retrieval).
	K1, B float64

	mu       sync.RWMutex
	docs     []Document
	lens     []int
	total    int
	postings map[string][]posting
}

type posting struct {
	doc int32
	tf  int32
}

// NewBM25 indexes docs.
func NewBM25(docs ...Document) *BM25 {
	ix := &BM25{K1: 0.9, B: 0.4, postings: map[string][]posting{}}
	ix.Add(docs...)
	return ix
}

// Add indexes more documents. Title and text are both indexed.
func (ix *BM25) Add(docs ...Document) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, d := range docs {
		id := int32(len(ix.docs))
		toks := Tokenize(d.Title + " " + d.Text)
		tf := map[string]int32{}
		for _, t := range toks {
			tf[t]++
		}
		for t, n := range tf {
			ix.postings[t] = append(ix.postings[t], posting{id, n})
		}
		ix.docs = append(ix.docs, d)
		ix.lens = append(ix.lens, len(toks))
		ix.total += len(toks)
	}
}

// Len is the number of indexed documents.
func (ix *BM25) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

// Retrieve implements Retriever.
func (ix *BM25) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := len(ix.docs)
	if n == 0 || k <= 0 {
		return nil, nil
	}
	avg := float64(ix.total) / float64(n)
	scores := map[int32]float64{}
	seen := map[string]bool{}
	for _, t := range Tokenize(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (float64(n)-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			tf := float64(p.tf)
			norm := ix.K1 * (1 - ix.B + ix.B*float64(ix.lens[p.doc])/avg)
			scores[p.doc] += idf * tf * (ix.K1 + 1) / (tf + norm)
		}
	}
	res := make([]Result, 0, len(scores))
	for id, s := range scores {
		res = append(res, Result{Document: ix.docs[id], Score: s})
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].Score != res[j].Score {
			return res[i].Score > res[j].Score
		}
		return res[i].ID < res[j].ID
	})
	if len(res) > k {
		res = res[:k]
	}
	return res, nil
}

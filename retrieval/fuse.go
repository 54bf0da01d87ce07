package retrieval

import (
	"context"
	"fmt"
	"math"

	"github.com/ponder-go/ponder/internal/par"
)

// Hybrid fuses several retrievers with reciprocal rank fusion (Cormack et
// al. 2009): a document's score is the sum over lists of 1/(K + rank). Rank
// fusion needs no score calibration between BM25 and cosine similarity.
type Hybrid struct {
	Retrievers []Retriever
	// K is the RRF constant (default 60).
	K float64
	// Candidates is how many results each retriever contributes (default
	// max(4k, 40)).
	Candidates int
	// Weights scale each retriever's contribution (default 1 each).
	Weights []float64
	// Fusion is RRF (the default) or RelativeScore.
	Fusion Fusion
}

// Fusion is how Hybrid combines its lists.
type Fusion int

const (
	// RRF sums w/(K + rank): only ranks count.
	RRF Fusion = iota
	// RelativeScore sums w·(score - min)/(max - min) over each list's
	// candidates: a list that is sure of its first result (a BM25 score
	// far above the rest) keeps it, where RRF would see only rank 1.
	RelativeScore
)

// Retrieve implements Retriever; the retrievers run concurrently.
func (h *Hybrid) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	if k <= 0 {
		return nil, nil
	}
	kc := h.K
	if kc <= 0 {
		kc = 60
	}
	cand := h.Candidates
	if cand <= 0 {
		cand = max(4*k, 40)
	}
	lists := make([][]Result, len(h.Retrievers))
	err := par.Do(ctx, len(h.Retrievers), 0, func(ctx context.Context, i int) error {
		rs, err := h.Retrievers[i].Retrieve(ctx, query, cand)
		if err != nil {
			return fmt.Errorf("retrieval: hybrid list %d: %w", i, err)
		}
		lists[i] = rs
		return nil
	})
	if err != nil {
		return nil, err
	}
	scores := map[string]float64{}
	docs := map[string]Result{}
	for i, l := range lists {
		w := 1.0
		if i < len(h.Weights) {
			w = h.Weights[i]
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range l {
			lo, hi = min(lo, r.Score), max(hi, r.Score)
		}
		for rank, r := range l {
			if h.Fusion == RelativeScore {
				if hi > lo {
					scores[r.ID] += w * (r.Score - lo) / (hi - lo)
				} else {
					scores[r.ID] += w
				}
			} else {
				scores[r.ID] += w / (kc + float64(rank+1))
			}
			if prev, ok := docs[r.ID]; !ok || prev.Embedding == nil {
				docs[r.ID] = r
			}
		}
	}
	out := make([]Result, 0, len(scores))
	for id, s := range scores {
		r := docs[id]
		r.Score = s
		out = append(out, r)
	}
	sortResults(out)
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

// MMR re-orders a retriever's results by maximal marginal relevance
// (Carbonell and Goldstein 1998): each next pick maximises
// Lambda*relevance - (1-Lambda)*max similarity to the picks so far, so near
// duplicates give way to passages that add something.
type MMR struct {
	Base  Retriever
	Store *Store // supplies embeddings for results that lack them
	// Lambda trades relevance (1) against diversity (0); default 0.7.
	Lambda float64
	// Fetch is how many candidates to consider (default 3k).
	Fetch int
}

// Retrieve implements Retriever.
func (m *MMR) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	fetch := m.Fetch
	if fetch <= 0 {
		fetch = 3 * k
	}
	lambda := m.Lambda
	if lambda == 0 {
		lambda = 0.7
	}
	cands, err := m.Base.Retrieve(ctx, query, fetch)
	if err != nil || len(cands) == 0 {
		return cands, err
	}
	var missing []string
	for _, c := range cands {
		if c.Embedding == nil {
			missing = append(missing, c.ID)
		}
	}
	if len(missing) > 0 && m.Store != nil {
		embs := m.Store.Embeddings(ctx, missing)
		for i := range cands {
			if cands[i].Embedding == nil {
				cands[i].Embedding = embs[cands[i].ID]
			}
		}
	}
	// Relevance: the base scores rescaled to [0, 1].
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range cands {
		lo, hi = math.Min(lo, c.Score), math.Max(hi, c.Score)
	}
	rel := func(c Result) float64 {
		if hi == lo {
			return 1
		}
		return (c.Score - lo) / (hi - lo)
	}
	// Each candidate's largest similarity to the picks so far is updated
	// with the newest pick only, and norms are computed once: O(k·fetch)
	// dot products instead of O(k²·fetch).
	norms := make([]float64, len(cands))
	for i, c := range cands {
		norms[i] = math.Sqrt(float64(dot(c.Embedding, c.Embedding)))
	}
	maxSim := make([]float64, len(cands))
	picked := make([]Result, 0, k)
	used := make([]bool, len(cands))
	for len(picked) < k && len(picked) < len(cands) {
		best, bestVal := -1, math.Inf(-1)
		for i, c := range cands {
			if used[i] {
				continue
			}
			if v := lambda*rel(c) - (1-lambda)*maxSim[i]; v > bestVal {
				best, bestVal = i, v
			}
		}
		used[best] = true
		picked = append(picked, cands[best])
		for i, c := range cands {
			if !used[i] && norms[i] > 0 && norms[best] > 0 { // dot is 0 for vectors of unequal length
				maxSim[i] = math.Max(maxSim[i], float64(dot(c.Embedding, cands[best].Embedding))/(norms[i]*norms[best]))
			}
		}
	}
	return picked, nil
}

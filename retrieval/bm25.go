package retrieval

import (
	"context"
	"math"
	"sort"
	"sync"
)

// BM25 is an in-memory lexical index with Okapi BM25 scoring. Safe for
// concurrent use.
type BM25 struct {
	// K1 and B are the BM25 parameters (defaults 0.9 and 0.4, the values
	// Anserini uses for passage retrieval).
	K1, B float64

	mu       sync.RWMutex
	docs     []Document
	lens     []int32
	live     []bool
	byID     map[string]int32
	total    int
	nlive    int
	postings map[string][]posting
	df       map[string]int32 // live documents per term
}

// scorePool recycles the dense per-document score arrays of queries.
var scorePool sync.Pool

type posting struct {
	doc int32
	tf  int32
}

// NewBM25 indexes docs.
func NewBM25(docs ...Document) *BM25 {
	ix := &BM25{K1: 0.9, B: 0.4, postings: map[string][]posting{}, byID: map[string]int32{}, df: map[string]int32{}}
	ix.Add(docs...)
	return ix
}

// Add indexes documents (title and text). A document whose ID is already
// indexed replaces the old one.
func (ix *BM25) Add(docs ...Document) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, d := range docs {
		if old, ok := ix.byID[d.ID]; ok {
			ix.removeLocked(old)
		}
		id := int32(len(ix.docs))
		toks := Tokenize(d.Title + " " + d.Text)
		tf := map[string]int32{}
		for _, t := range toks {
			tf[t]++
		}
		for t, n := range tf {
			ix.postings[t] = append(ix.postings[t], posting{id, n})
			ix.df[t]++
		}
		ix.docs = append(ix.docs, d)
		ix.lens = append(ix.lens, int32(len(toks)))
		ix.live = append(ix.live, true)
		ix.byID[d.ID] = id
		ix.total += len(toks)
		ix.nlive++
	}
}

// Remove drops documents by ID; unknown IDs are ignored.
func (ix *BM25) Remove(ids ...string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range ids {
		if i, ok := ix.byID[id]; ok {
			ix.removeLocked(i)
		}
	}
	if dead := len(ix.docs) - ix.nlive; dead > 1024 && dead > ix.nlive {
		ix.compactLocked()
	}
}

func (ix *BM25) removeLocked(i int32) {
	if !ix.live[i] {
		return
	}
	ix.live[i] = false
	seen := map[string]bool{}
	d := ix.docs[i]
	for _, t := range Tokenize(d.Title + " " + d.Text) {
		if !seen[t] {
			seen[t] = true
			ix.df[t]--
		}
	}
	delete(ix.byID, ix.docs[i].ID)
	ix.total -= int(ix.lens[i])
	ix.nlive--
	ix.docs[i] = Document{ID: ix.docs[i].ID}
}

// compactLocked rebuilds the postings without removed documents.
func (ix *BM25) compactLocked() {
	var keep []Document
	for i, d := range ix.docs {
		if ix.live[i] {
			keep = append(keep, d)
		}
	}
	fresh := NewBM25()
	fresh.K1, fresh.B = ix.K1, ix.B
	fresh.Add(keep...)
	ix.docs, ix.lens, ix.live, ix.byID, ix.total, ix.nlive, ix.postings, ix.df =
		fresh.docs, fresh.lens, fresh.live, fresh.byID, fresh.total, fresh.nlive, fresh.postings, fresh.df
}

// IDF is the BM25 inverse document frequency of a (tokenized) term; terms
// absent from the index get the highest value.
func (ix *BM25) IDF(term string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	df := float64(ix.df[term])
	n := float64(ix.nlive)
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Len is the number of indexed documents.
func (ix *BM25) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.nlive
}

// Retrieve implements Retriever.
func (ix *BM25) Retrieve(ctx context.Context, query string, k int) ([]Result, error) {
	return ix.RetrieveFiltered(ctx, query, k, nil)
}

// RetrieveFiltered is Retrieve over the documents for which keep returns
// true (all when keep is nil).
func (ix *BM25) RetrieveFiltered(ctx context.Context, query string, k int, keep func(Document) bool) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := ix.nlive
	if n == 0 || k <= 0 {
		return nil, nil
	}
	avg := float64(ix.total) / float64(n)
	sp, _ := scorePool.Get().(*[]float64)
	if sp == nil || cap(*sp) < len(ix.docs) {
		buf := make([]float64, len(ix.docs))
		sp = &buf
	}
	scores := (*sp)[:len(ix.docs)]
	var touched []int32
	seen := map[string]bool{}
	for _, t := range Tokenize(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		df := float64(ix.df[t])
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
		k1, b := ix.K1, ix.B
		for _, p := range ix.postings[t] {
			if !ix.live[p.doc] {
				continue
			}
			tf := float64(p.tf)
			norm := k1 * (1 - b + b*float64(ix.lens[p.doc])/avg)
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			scores[p.doc] += idf * tf * (k1 + 1) / (tf + norm)
		}
	}
	top := &topK{k: k}
	for _, d := range touched {
		if keep == nil || keep(ix.docs[d]) {
			top.offer(scores[d], d)
		}
		scores[d] = 0
	}
	scorePool.Put(sp) // every touched entry was reset to zero
	best := top.sorted()
	res := make([]Result, len(best))
	for i, b := range best {
		res[i] = Result{Document: ix.docs[b.idx], Score: b.score}
	}
	return res, nil
}

// sortResults orders by score, then ID for determinism.
func sortResults(res []Result) {
	sort.Slice(res, func(i, j int) bool {
		if res[i].Score != res[j].Score {
			return res[i].Score > res[j].Score
		}
		return res[i].ID < res[j].ID
	})
}

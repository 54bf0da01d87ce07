package retrieval

import (
	"runtime"
	"sync"

	"github.com/ponder-go/ponder/internal/matmul"
)

// vindex is a flat (exhaustive) cosine index over unit vectors. Its vectors
// are the same slices chromem holds, not copies. chromem's own query routes
// every document through a channel and a mutex before a scalar dot product
// (55 ms at 100k chunks here); this scan is the hot loop of vector search.
//
// Vectors live in fixed-size blocks of contiguous memory (an arena), so the
// scan streams through memory instead of chasing scattered allocations:
// that halved the time per vector here. The Store hands chromem the same
// arena slices, so there is still one copy of each vector.
type vindex struct {
	docs []Document
	vecs [][]float32
	pos  map[string]int

	blocks [][]float32 // arena blocks of blockVecs vectors each
	used   int         // slots handed out in the last block
	free   [][]float32 // slots released by remove
}

const blockVecs = 4096

func newVindex() *vindex { return &vindex{pos: map[string]int{}} }

// slot returns arena memory for one vector of dimension dim holding v.
func (ix *vindex) slot(v []float32) []float32 {
	dim := len(v)
	for n := len(ix.free); n > 0; n = len(ix.free) {
		s := ix.free[n-1]
		ix.free = ix.free[:n-1]
		if len(s) == dim {
			copy(s, v)
			return s
		}
	}
	if len(ix.blocks) == 0 || ix.used == blockVecs || len(ix.blocks[len(ix.blocks)-1]) != blockVecs*dim {
		ix.blocks = append(ix.blocks, make([]float32, blockVecs*dim))
		ix.used = 0
	}
	b := ix.blocks[len(ix.blocks)-1]
	s := b[ix.used*dim : (ix.used+1)*dim : (ix.used+1)*dim]
	ix.used++
	copy(s, v)
	return s
}

// add indexes d with a copy of v in the arena and returns that copy.
func (ix *vindex) add(d Document, v []float32) []float32 {
	s := ix.slot(v)
	if i, ok := ix.pos[d.ID]; ok {
		ix.free = append(ix.free, ix.vecs[i])
		ix.docs[i], ix.vecs[i] = d, s
		return s
	}
	ix.pos[d.ID] = len(ix.docs)
	ix.docs = append(ix.docs, d)
	ix.vecs = append(ix.vecs, s)
	return s
}

// remove swaps the last entry into the removed slot and frees its memory.
func (ix *vindex) remove(id string) {
	i, ok := ix.pos[id]
	if !ok {
		return
	}
	ix.free = append(ix.free, ix.vecs[i])
	last := len(ix.docs) - 1
	ix.docs[i], ix.vecs[i] = ix.docs[last], ix.vecs[last]
	ix.pos[ix.docs[i].ID] = i
	ix.docs[last], ix.vecs[last] = Document{}, nil
	ix.docs, ix.vecs = ix.docs[:last], ix.vecs[:last]
	delete(ix.pos, id)
}

// search returns the k most similar documents passing keep, best first.
func (ix *vindex) search(q []float32, k int, keep func(Document) bool, minScore float64) []Result {
	n := len(ix.docs)
	if n == 0 || k <= 0 {
		return nil
	}
	workers := 1
	if n >= 8192 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	parts := make([]*topK, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			t := &topK{k: k}
			for i := lo; i < hi; i++ {
				if keep != nil && !keep(ix.docs[i]) {
					continue
				}
				s := float64(dot(q, ix.vecs[i]))
				if minScore != 0 && s < minScore {
					continue
				}
				t.offer(s, int32(i))
			}
			parts[w] = t
		}(w, lo, hi)
	}
	wg.Wait()
	all := &topK{k: k}
	for _, p := range parts {
		for _, it := range p.items {
			all.offer(it.score, it.idx)
		}
	}
	best := all.sorted()
	out := make([]Result, len(best))
	for i, b := range best {
		out[i] = Result{Document: ix.docs[b.idx], Score: b.score, Embedding: ix.vecs[b.idx]}
	}
	return out
}

// dot is the inner product on the local runtime's kernel.
func dot(a, b []float32) float32 {
	if len(a) != len(b) {
		return 0
	}
	return matmul.Dot(a, b)
}

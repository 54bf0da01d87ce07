package retrieval

import "context"

// Index holds a store's chunk vectors for similarity search: the seam where
// other backends (Postgres with pgvector) plug in under the Store's
// ingest, manifest and BM25. The default is an exhaustive in-memory index,
// saved in the store file; a custom index keeps its vectors itself (the
// store file then holds the documents, the BM25 postings and the manifest).
type Index interface {
	// Add stores chunks with their unit vectors (replacing any with the
	// same ID).
	Add(ctx context.Context, docs []Document, vecs [][]float32) error
	// Remove drops chunks by ID; unknown IDs are ignored.
	Remove(ctx context.Context, ids ...string) error
	// Search returns the k chunks most similar to the unit vector q that
	// keep accepts (nil: all) with a score of at least minScore (0: any),
	// best first.
	Search(ctx context.Context, q []float32, k int, keep func(Document) bool, minScore float64) ([]Result, error)
	// Len is the number of chunks held.
	Len() int
}

// Catalog is an Index that keeps the whole store, documents and sources
// included: a database. A Store opened over one (OpenCatalog) has no file;
// it loads the sources and chunks when opened, and each source an ingest
// adds or changes is one Replace call, which a database runs as one
// transaction: a failed or interrupted ingest leaves every source as it was
// or as it became, never half-written. Save has nothing left to do.
type Catalog interface {
	Index
	// Load calls fn with every stored chunk and returns the sources.
	Load(ctx context.Context, fn func(Document)) (map[string]SourceEntry, error)
	// Replace makes docs (with their unit vectors) the chunks of source,
	// dropping the ones it had, and records e, atomically.
	Replace(ctx context.Context, source string, e SourceEntry, docs []Document, vecs [][]float32) error
	// SetSource records e for source (a touched, unchanged file).
	SetSource(ctx context.Context, source string, e SourceEntry) error
}

// WhereSearcher is an Index that applies metadata filters itself (in SQL,
// say) instead of through a keep function.
type WhereSearcher interface {
	SearchWhere(ctx context.Context, q []float32, k int, where map[string]string, minScore float64) ([]Result, error)
}

// The built-in index satisfies Index.
var _ Index = (*vindex)(nil)

// Add implements Index.
func (ix *vindex) Add(ctx context.Context, docs []Document, vecs [][]float32) error {
	for i, d := range docs {
		ix.add(d, vecs[i])
	}
	return ctx.Err()
}

// Remove implements Index.
func (ix *vindex) Remove(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		ix.remove(id)
	}
	return nil
}

// Search implements Index.
func (ix *vindex) Search(ctx context.Context, q []float32, k int, keep func(Document) bool, minScore float64) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ix.search(q, k, keep, minScore), nil
}

// Len implements Index.
func (ix *vindex) Len() int { return len(ix.docs) }

// Package storetest is the behaviour every retrieval store backend must
// have, as one test suite: the file store and the Postgres store run it
// alike (ingest semantics, filters, thresholds, persistence, dimension
// checks, concurrency, MMR).
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/retrieval"
)

// Backend makes stores for the suite.
type Backend struct {
	// New returns a new, empty store using emb, and a function that opens
	// the same store again (as another process would) with an embedder.
	New func(t *testing.T, emb llm.Embedder) (s *retrieval.Store, reopen func(emb llm.Embedder) (*retrieval.Store, error))
}

// Docs is the suite's small corpus.
func Docs() []retrieval.Document {
	return []retrieval.Document{
		{ID: "ca", Title: "California", Text: "California had a population of 39,538,223 in 2020.", Source: "ca.txt", Metadata: map[string]string{"region": "West"}},
		{ID: "ak", Title: "Alaska", Text: "Alaska had a population of 733,391 in 2020.", Source: "ak.txt", Metadata: map[string]string{"region": "West"}},
		{ID: "tx", Title: "Texas", Text: "Texas has a total area of 268,599 square miles.", Source: "tx.txt", Metadata: map[string]string{"region": "South"}},
	}
}

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	t.Run("IngestDedupAndReplace", func(t *testing.T) { ingestDedupAndReplace(t, b) })
	t.Run("PersistenceRoundTrip", func(t *testing.T) { persistenceRoundTrip(t, b) })
	t.Run("RejectsZeroVectors", func(t *testing.T) { rejectsZeroVectors(t, b) })
	t.Run("ConcurrentIngestAndQuery", func(t *testing.T) { concurrentIngestAndQuery(t, b) })
	t.Run("MMR", func(t *testing.T) { mmr(t, b) })
}

func ingestDedupAndReplace(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := b.New(t, &retrieval.HashEmbedder{Dim: 64})

	// Empty store: queries return nothing, not an error.
	for _, r := range []retrieval.Retriever{s.Vector(), s.Lexical(), s.Hybrid()} {
		res, err := r.Retrieve(ctx, "anything", 5)
		require.NoError(t, err)
		assert.Empty(t, res)
	}

	st, err := s.Ingest(ctx, Docs(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, retrieval.IngestStats{Sources: 3, Added: 3, Chunks: 3}, st)
	st, err = s.Ingest(ctx, Docs(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, retrieval.IngestStats{Sources: 3, Unchanged: 3}, st, "re-ingesting unchanged files adds nothing")
	assert.Equal(t, 3, s.Count())

	changed := Docs()[:1]
	changed[0].Text = "California had a population of 39,538,223. Sacramento is its capital. Los Angeles is its largest city."
	st, err = s.Ingest(ctx, changed, retrieval.FixedChunker{Size: 6}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Replaced)
	assert.Equal(t, 3, st.Chunks)
	assert.Equal(t, 5, s.Count(), "the old chunk of ca.txt was replaced by three")

	res, err := s.Hybrid().Retrieve(ctx, "largest city of California", 2)
	require.NoError(t, err)
	require.NotEmpty(t, res)
	assert.Equal(t, "ca#2", res[0].ID)
	assert.Equal(t, "ca.txt", res[0].Source)

	// k beyond the collection returns what exists.
	res, err = s.Vector().Retrieve(ctx, "population", 100)
	require.NoError(t, err)
	assert.Len(t, res, 5)

	// Filters and thresholds.
	v := s.Vector()
	v.Where = map[string]string{"region": "South"}
	res, err = v.Retrieve(ctx, "population", 10)
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, "tx#0", res[0].ID)
	lx := s.Lexical()
	lx.Where = map[string]string{"region": "West"}
	res, err = lx.Retrieve(ctx, "population area", 10)
	require.NoError(t, err)
	require.NotEmpty(t, res)
	for _, r := range res {
		assert.Equal(t, "West", r.Metadata["region"])
	}
	v = s.Vector()
	v.MinScore = 0.99
	res, err = v.Retrieve(ctx, "population", 10)
	require.NoError(t, err)
	assert.Empty(t, res)
}

func persistenceRoundTrip(t *testing.T, b Backend) {
	ctx := context.Background()
	s, reopen := b.New(t, &retrieval.HashEmbedder{Dim: 64})
	_, err := s.Ingest(ctx, Docs(), nil, nil)
	require.NoError(t, err)
	require.NoError(t, s.Save())
	before, err := s.Hybrid().Retrieve(ctx, "Alaska population", 3)
	require.NoError(t, err)

	s2, err := reopen(&retrieval.HashEmbedder{Dim: 64})
	require.NoError(t, err)
	assert.Equal(t, 3, s2.Count())
	assert.Equal(t, []string{"ak.txt", "ca.txt", "tx.txt"}, s2.Sources())
	after, err := s2.Hybrid().Retrieve(ctx, "Alaska population", 3)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after))
	for i := range before {
		assert.Equal(t, before[i].ID, after[i].ID)
		assert.InDelta(t, before[i].Score, after[i].Score, 1e-6)
		assert.Equal(t, before[i].Text, after[i].Text)
		assert.Equal(t, before[i].Metadata["region"], after[i].Metadata["region"])
	}
	st, err := s2.Ingest(ctx, Docs(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Unchanged, "the manifest survives the reload")

	_, err = reopen(&retrieval.HashEmbedder{Dim: 128})
	assert.ErrorContains(t, err, "holds 64-dimensional embeddings but the embedder gives 128")
}

// zeroEmbedder returns zero vectors: a store must refuse them.
type zeroEmbedder struct{}

func (zeroEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = make([]float32, 64)
	}
	return out, nil
}

func rejectsZeroVectors(t *testing.T, b Backend) {
	s, _ := b.New(t, zeroEmbedder{})
	_, err := s.Ingest(context.Background(), Docs(), nil, nil)
	assert.ErrorContains(t, err, "zero or invalid vector")
	assert.Equal(t, 0, s.Count())
}

func concurrentIngestAndQuery(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := b.New(t, &retrieval.HashEmbedder{Dim: 64})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				d := retrieval.Document{ID: fmt.Sprintf("g%d", g), Text: fmt.Sprintf("version %d of doc %d", i, g), Source: fmt.Sprintf("g%d", g)}
				_, err := s.Ingest(ctx, []retrieval.Document{d}, nil, nil)
				assert.NoError(t, err)
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				_, err := s.Hybrid().Retrieve(ctx, "version doc", 3)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 4, s.Count(), "each source replaced in place")
	res, err := s.Lexical().Retrieve(ctx, "version 9", 4)
	require.NoError(t, err)
	assert.Len(t, res, 4)
}

func mmr(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := b.New(t, &retrieval.HashEmbedder{Dim: 64})
	_, err := s.Ingest(ctx, []retrieval.Document{
		{ID: "a", Text: "apples and pears from the orchard"},
		{ID: "a2", Text: "apples and pears from the orchard, again"},
		{ID: "c", Text: "apples in a pie with oranges"},
	}, nil, nil)
	require.NoError(t, err)
	res, err := (&retrieval.MMR{Base: s.Hybrid(), Store: s, Lambda: 0.3}).Retrieve(ctx, "apples and pears", 2)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "c#0", res[1].ID, "the near-duplicate gives way to a different passage")
}

package pgvector_test

import (
	"context"
	"testing"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/pgvector"
	"github.com/ponder-go/ponder/retrieval/pgvector/pgvectortest"
	"github.com/ponder-go/ponder/retrieval/storetest"
)

// The Postgres store runs the same suite as the file store.
func TestPostgresStoreSuite(t *testing.T) {
	url := pgvectortest.URL(t)
	storetest.Run(t, storetest.Backend{New: func(t *testing.T, emb llm.Embedder) (*retrieval.Store, func(llm.Embedder) (*retrieval.Store, error)) {
		table := pgvectortest.Table(t)
		open := func(emb llm.Embedder) (*retrieval.Store, error) {
			ctx := context.Background()
			probe, err := emb.Embed(ctx, []string{"dimension probe"})
			if err != nil {
				return nil, err
			}
			ix, err := pgvector.Open(ctx, url, pgvector.Options{Dim: len(probe[0]), Table: table})
			if err != nil {
				return nil, err
			}
			t.Cleanup(ix.Close)
			return retrieval.OpenCatalog(ctx, emb, ix)
		}
		s, err := open(emb)
		if err != nil {
			t.Fatal(err)
		}
		return s, open
	}})
}

package storetest_test

import (
	"path/filepath"
	"testing"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/storetest"
)

// A new store backend runs the suite from its own test: New makes an
// empty store and returns how to open it again.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, storetest.Backend{New: func(t *testing.T, emb llm.Embedder) (*retrieval.Store, func(llm.Embedder) (*retrieval.Store, error)) {
			path := filepath.Join(t.TempDir(), "store.db")
			s, err := retrieval.Open(path, emb)
			if err != nil {
				t.Fatal(err)
			}
			return s, func(emb llm.Embedder) (*retrieval.Store, error) { return retrieval.Open(path, emb) }
		}})
	}
}

package pgvector_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ponder-go/ponder/retrieval"
	"github.com/ponder-go/ponder/retrieval/pgvector"
)

// A retrieval store kept in Postgres: ingest, then hybrid retrieval. (It
// needs a database with the pgvector extension available, so it is
// compiled but not run by go test.)
func Example() {
	ctx := context.Background()
	emb := &retrieval.HashEmbedder{} // 1024 dimensions
	ix, err := pgvector.Open(ctx, "postgres://postgres@localhost/docs", pgvector.Options{Dim: 1024})
	if err != nil {
		log.Fatal(err)
	}
	defer ix.Close()
	store, err := retrieval.OpenCatalog(ctx, emb, ix)
	if err != nil {
		log.Fatal(err)
	}
	docs := []retrieval.Document{{ID: "go", Source: "go.txt", Title: "Go", Text: "Goroutines are lightweight threads."}}
	if _, err := store.Ingest(ctx, docs, nil, nil); err != nil { // one transaction per source
		log.Fatal(err)
	}
	hybrid := &retrieval.Hybrid{Retrievers: []retrieval.Retriever{store.Vector(), ix.FullText()}}
	res, err := hybrid.Retrieve(ctx, "lightweight threads", 3)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Println(r.Source)
	}
}

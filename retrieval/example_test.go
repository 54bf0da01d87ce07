package retrieval_test

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/retrieval"
)

// An in-memory store with the local embedder: ingest documents, then ask
// for the best passage (hybrid vector and BM25 retrieval).
func ExampleStore() {
	ctx := context.Background()
	s, err := retrieval.Open("", &retrieval.HashEmbedder{})
	if err != nil {
		panic(err)
	}
	docs := []retrieval.Document{
		{ID: "ak", Title: "Alaska", Text: "Alaska had a population of 733,391 in the 2020 census."},
		{ID: "ca", Title: "California", Text: "California had a population of 39,538,223 in the 2020 census."},
	}
	if _, err := s.Ingest(ctx, docs, nil, nil); err != nil {
		panic(err)
	}
	res, err := s.Hybrid().Retrieve(ctx, "How many people live in Alaska?", 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Title)
	// Output: Alaska
}

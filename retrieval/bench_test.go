package retrieval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// synthetic makes n passages of about 60 words from a 5,000-word vocabulary
// (Zipf-distributed, like text), deterministically.
func synthetic(n int) []Document {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, 4999)
	docs := make([]Document, n)
	var b strings.Builder
	for i := range docs {
		b.Reset()
		for w := 0; w < 60; w++ {
			fmt.Fprintf(&b, "w%d ", z.Uint64())
		}
		docs[i] = Document{ID: fmt.Sprintf("d%d", i), Title: fmt.Sprintf("title %d", i%977), Text: b.String()}
	}
	return docs
}

// BenchmarkIngest measures chunking + local embedding + storing, in chunks/s.
//
//	go test ./retrieval -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	docs := synthetic(5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _ := Open("", &HashEmbedder{})
		st, err := s.Ingest(context.Background(), docs, RecursiveChunker{MaxTokens: 200}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Chunks)/b.Elapsed().Seconds()*float64(i+1), "chunks/s")
	}
}

// BenchmarkQuery100k measures query latency over 100,000 chunks, per mode,
// and reports the heap the store holds.
//
//	go test ./retrieval -run '^$' -bench Query100k -benchtime 50x
func BenchmarkQuery100k(b *testing.B) {
	docs := synthetic(100_000)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	s, _ := Open("", &HashEmbedder{})
	if _, err := s.Ingest(context.Background(), docs, RecursiveChunker{MaxTokens: 200}, nil); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	heapMB := float64(m1.HeapAlloc-m0.HeapAlloc) / (1 << 20)
	queries := []string{"w1 w17 w230", "w5 w99", "w3 w4 w1000 w2000", "title 5 w42"}
	for _, mode := range []struct {
		name string
		r    Retriever
	}{{"bm25", s.Lexical()}, {"vector", s.Vector()}, {"hybrid", s.Hybrid()}} {
		b.Run(mode.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := mode.r.Retrieve(context.Background(), queries[i%len(queries)], 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(heapMB, "store-MB")
		})
	}
}

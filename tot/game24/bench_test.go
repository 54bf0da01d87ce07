package game24_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/tot"
	"github.com/ponder-go/ponder/tot/game24"
	"github.com/ponder-go/ponder/tot/game24/game24test"
)

// BenchmarkBFSLatency runs ToT BFS (b=5, depth 3) with the model-backed
// proposer and value evaluator against an OpenAI-wire server that answers
// every call after 100 ms, through the real openai backend. "ratio" is the
// wall time over depth x (generation + evaluation latency) = 600 ms: below
// 1.3 means each level's calls run in parallel.
//
//	go test ./tot/game24 -run '^$' -bench BFSLatency -benchtime 3x
func BenchmarkBFSLatency(b *testing.B) {
	srv := llmtest.NewServer()
	defer srv.Close()
	srv.Latency = 100 * time.Millisecond
	srv.Respond = game24test.Model(1)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	m, err := openai.New(openai.WithBaseURL(srv.BaseURL()), openai.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		b.Fatal(err)
	}
	puzzle := []int{4, 9, 10, 13}
	var calls int
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		p := game24.Problem(puzzle, &game24.ModelProposer{Model: m}, &game24.ModelValue{Model: m})
		t0 := time.Now()
		r, err := tot.BFS{Breadth: 5, Depth: 3, KeepGoing: true}.Search(context.Background(), p, tot.Budget{Workers: 64})
		wall += time.Since(t0)
		if err != nil || !r.Solved {
			b.Fatalf("solved=%v err=%v stopped=%q", r.Solved, err, r.Stopped)
		}
		calls += r.Calls
	}
	perRun := wall / time.Duration(b.N)
	b.ReportMetric(float64(perRun.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(calls)/float64(b.N), "calls")
	b.ReportMetric(float64(perRun)/float64(3*200*time.Millisecond), "ratio")
}

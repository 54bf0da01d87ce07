package chain_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/llm/openai"
	"github.com/ponder-go/ponder/trace"
)

// BenchmarkSelfConsistencyLatency measures, side by side in each iteration,
// one CoT call and a 10-sample self-consistency run against an OpenAI-wire
// server that answers after 200 ms, through the real openai backend. The
// "ratio" metric is SC wall time / single-call wall time: parallel sampling
// keeps it near 1. Sub-benchmarks: a server that honours n, and one that
// ignores it (the client fans out 10 concurrent requests).
//
//	go test ./chain -run '^$' -bench SelfConsistencyLatency -benchtime 5x
func BenchmarkSelfConsistencyLatency(b *testing.B) {
	for _, tc := range []struct {
		name string
		maxN int
	}{{"server-honours-n", 0}, {"server-ignores-n", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := llmtest.NewServer()
			defer srv.Close()
			srv.Latency = 200 * time.Millisecond
			srv.MaxN = tc.maxN
			srv.Respond = func(r *llmtest.ChatRequest, i int) llmtest.Reply {
				return llmtest.Reply{Content: "3 + 4 = 7. The answer is 7."}
			}
			tr := &http.Transport{MaxIdleConnsPerHost: 16}
			defer tr.CloseIdleConnections()
			c, err := openai.New(openai.WithBaseURL(srv.BaseURL()), openai.WithAPIKey("k"), openai.WithHTTPClient(&http.Client{Transport: tr}))
			if err != nil {
				b.Fatal(err)
			}
			cot := &chain.CoT{Model: c}
			sc := &chain.SelfConsistency{CoT: cot, N: 10}
			ctx := context.Background()
			if _, err := sc.Run(ctx, "q"); err != nil { // warm connections; learn whether n is honoured
				b.Fatal(err)
			}
			var single, multi time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := cot.Run(ctx, "q"); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				v, err := sc.Run(ctx, "q")
				if err != nil || v.Answer != "7" || len(v.Samples) != 10 {
					b.Fatalf("vote %+v err %v", v, err)
				}
				single += t1.Sub(t0)
				multi += time.Since(t1)
			}
			b.ReportMetric(float64(single.Milliseconds())/float64(b.N), "single-ms")
			b.ReportMetric(float64(multi.Milliseconds())/float64(b.N), "sc10-ms")
			b.ReportMetric(float64(multi)/float64(single), "ratio")
		})
	}
}

// BenchmarkChainStepOverhead measures what a chain step costs beyond the
// model: template rendering, request building and trace spans, with an
// instant in-process model.
//
//	go test ./chain -run '^$' -bench ChainStepOverhead -benchmem
func BenchmarkChainStepOverhead(b *testing.B) {
	model := llm.ModelFunc(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		return &llm.Response{Choices: []llm.Choice{{Text: "ok"}}}, nil
	})
	step := chain.Step("step", &chain.Prompt{Model: model, Template: chain.MustTemplate("t", "Question: {{.question}}\nContext: {{.context}}\nAnswer:")})
	in := chain.Values{"question": "How many times larger is California's population than Alaska's?", "context": "California: 39,538,223. Alaska: 733,391."}
	for _, traced := range []bool{false, true} {
		name := "untraced"
		if traced {
			name = "traced"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c := ctx
				if traced {
					c = trace.WithTracer(ctx, trace.New())
				}
				if _, err := step.Run(c, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

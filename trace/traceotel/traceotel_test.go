package traceotel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/trace"
	"github.com/ponder-go/ponder/trace/traceotel"
)

// runAgent traces a small ReAct run (a scripted model, the real tools).
func runAgent(t *testing.T) *trace.Tracer {
	m := llmtest.Replies(
		"Thought: I need California.\nAction: search[population of California]",
		"Thought: Divide.\nAction: calculator[39538223 / 733391]",
		"Thought: Done.\nFinal Answer: about 53.9 times",
	)
	reg, err := tools.Builtin("search", "calculator")
	require.NoError(t, err)
	tr := trace.New()
	_, err = (&react.Agent{Model: m, Tools: reg}).Run(trace.WithTracer(context.Background(), tr), "How many times larger is California than Alaska?")
	require.NoError(t, err)
	return tr
}

func TestExportShowsTheRunAsATree(t *testing.T) {
	tr := runAgent(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	traceotel.Export(context.Background(), tr, tp, traceotel.Options{})
	require.NoError(t, tp.ForceFlush(context.Background()))
	spans := exp.GetSpans() // (Shutdown would clear them)
	require.Len(t, spans, len(tr.Spans()))
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	root, ok := byName["invoke_agent react"]
	require.True(t, ok, "%v", byName)
	assert.False(t, root.Parent.IsValid(), "the agent span is the root")
	tool, ok := byName["execute_tool calculator"]
	require.True(t, ok)
	assert.Equal(t, root.SpanContext.TraceID(), tool.SpanContext.TraceID())
	attrs := map[string]string{}
	var chat tracetest.SpanStub
	for _, s := range spans {
		if s.Parent.IsValid() && s.Name[:4] == "chat" {
			chat = s
		}
	}
	require.NotEmpty(t, chat.Name)
	for _, kv := range chat.Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	assert.Equal(t, "chat", attrs["gen_ai.operation.name"])
	assert.Contains(t, attrs, "gen_ai.usage.input_tokens")
	assert.Contains(t, attrs, "gen_ai.usage.output_tokens")
	assert.Contains(t, attrs, "gen_ai.response.finish_reasons")
	assert.NotContains(t, attrs, "gen_ai.prompt", "content only when asked")
	assert.False(t, chat.StartTime.After(chat.EndTime))
}

// The same run exported over OTLP/HTTP to a collector the test decodes.
func TestOTLPHTTPExport(t *testing.T) {
	var mu sync.Mutex
	var got []*collector.ExportTraceServiceRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collector.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, &req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer srv.Close()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	tr := runAgent(t)
	traceotel.Export(context.Background(), tr, tp, traceotel.Options{Content: true})
	require.NoError(t, tp.Shutdown(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	n, prompts := 0, 0
	ids := map[string]bool{}
	parents := map[string]bool{}
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					n++
					ids[string(s.SpanId)] = true
					if len(s.ParentSpanId) > 0 {
						parents[string(s.ParentSpanId)] = true
					}
					for _, a := range s.Attributes {
						if a.Key == "gen_ai.prompt" {
							prompts++
						}
					}
				}
			}
		}
	}
	assert.Equal(t, len(tr.Spans()), n)
	for p := range parents {
		assert.True(t, ids[p], "every parent is in the export")
	}
	assert.Positive(t, prompts, "content exported when asked")
}

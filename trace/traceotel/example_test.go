package traceotel_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/llm/llmtest"
	"github.com/ponder-go/ponder/trace"
	"github.com/ponder-go/ponder/trace/traceotel"
)

// A traced model call exported to an OpenTelemetry tracer provider. In a
// service the provider is the one already configured with an OTLP
// exporter; here an in-memory exporter shows what arrives.
func ExampleExport() {
	tr := trace.New()
	ctx := trace.WithTracer(context.Background(), tr)
	m := llmtest.Replies("Paris")
	if _, err := llm.Generate(ctx, m, llm.Request{Messages: []llm.Message{llm.User("Capital of France?")}}); err != nil {
		fmt.Println(err)
		return
	}

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	traceotel.Export(context.Background(), tr, tp, traceotel.Options{})
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "gen_ai.operation.name" {
				fmt.Println(s.Name, "→", kv.Value.Emit())
			}
		}
	}
	// Output: chat scripted → chat
}

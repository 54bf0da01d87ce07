// Package traceotel sends Ponder's traces to OpenTelemetry: every span of a
// finished trace.Tracer (agent run, steps, model calls, tools, chains)
// becomes an OpenTelemetry span with its timing, parent and attributes,
// following the GenAI semantic conventions (gen_ai.operation.name,
// gen_ai.request.model, gen_ai.usage.input_tokens and output_tokens,
// gen_ai.response.finish_reasons, gen_ai.tool.name), so any OTLP backend
// (Jaeger, Tempo, Honeycomb) shows a ReAct run as a tree. Prompts and
// outputs are included only when asked (Options.Content). It is opt-in:
// nothing in Ponder imports it.
package traceotel

import (
	"context"
	"fmt"
	"sort"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ponder-go/ponder/trace"
)

// Options choose what is exported.
type Options struct {
	// Content includes prompts, outputs, tool inputs and observations
	// (they may hold personal data; off by default).
	Content bool
	// System is gen_ai.system (default "ponder").
	System string
}

// Export replays the spans of t (a finished run) through tp, parents
// before children, each with its recorded start and end time.
func Export(ctx context.Context, t *trace.Tracer, tp oteltrace.TracerProvider, o Options) {
	spans := t.Spans()
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].ID < spans[j].ID }) // parents start first
	tracer := tp.Tracer("github.com/ponder-go/ponder")
	ctxOf := map[int64]context.Context{}
	started := map[int64]oteltrace.Span{}
	for _, s := range spans {
		parent := ctx
		if c, ok := ctxOf[s.ParentID]; ok && s.ParentID != 0 {
			parent = c
		}
		name, attrs := describe(s, o)
		c, os := tracer.Start(parent, name, oteltrace.WithTimestamp(s.Start), oteltrace.WithAttributes(attrs...),
			oteltrace.WithSpanKind(kindOf(s)))
		if s.Error != "" {
			os.SetStatus(codes.Error, s.Error)
		}
		ctxOf[s.ID], started[s.ID] = c, os
	}
	// End children before parents (reverse order of IDs).
	for i := len(spans) - 1; i >= 0; i-- {
		started[spans[i].ID].End(oteltrace.WithTimestamp(spans[i].End))
	}
}

func kindOf(s trace.Span) oteltrace.SpanKind {
	if s.Kind == trace.KindModel {
		return oteltrace.SpanKindClient
	}
	return oteltrace.SpanKindInternal
}

// describe names a span as the GenAI conventions do and maps its
// attributes.
func describe(s trace.Span, o Options) (string, []attribute.KeyValue) {
	system := o.System
	if system == "" {
		system = "ponder"
	}
	a := []attribute.KeyValue{attribute.String("ponder.kind", s.Kind), attribute.String("ponder.name", s.Name)}
	str := func(k string) (string, bool) {
		v, ok := s.Attrs[k]
		if !ok {
			return "", false
		}
		if x, ok := v.(string); ok {
			return x, true
		}
		return fmt.Sprint(v), true
	}
	num := func(k string) (int64, bool) {
		switch v := s.Attrs[k].(type) {
		case int:
			return int64(v), true
		case int64:
			return v, true
		case float64:
			return int64(v), true
		}
		return 0, false
	}
	name := s.Name
	switch s.Kind {
	case trace.KindModel:
		a = append(a, attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.system", system))
		model, _ := str("model")
		if model != "" {
			a = append(a, attribute.String("gen_ai.request.model", model), attribute.String("gen_ai.response.model", model))
		}
		name = "chat " + model
		if n, ok := num("input_tokens"); ok {
			a = append(a, attribute.Int64("gen_ai.usage.input_tokens", n))
		}
		if n, ok := num("output_tokens"); ok {
			a = append(a, attribute.Int64("gen_ai.usage.output_tokens", n))
		}
		if r, ok := s.Attrs["finish_reasons"].([]string); ok {
			a = append(a, attribute.StringSlice("gen_ai.response.finish_reasons", r))
		}
		if c, ok := str("cache"); ok {
			a = append(a, attribute.String("ponder.cache", c))
		}
		if o.Content {
			if p, ok := str("prompt"); ok {
				a = append(a, attribute.String("gen_ai.prompt", p))
			}
			if out, ok := str("output"); ok {
				a = append(a, attribute.String("gen_ai.completion", out))
			}
		}
	case trace.KindTool:
		a = append(a, attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", s.Name))
		name = "execute_tool " + s.Name
		if o.Content {
			if in, ok := str("input"); ok {
				a = append(a, attribute.String("gen_ai.tool.call.arguments", in))
			}
			if out, ok := str("output"); ok {
				a = append(a, attribute.String("gen_ai.tool.call.result", out))
			}
		}
	case trace.KindAgent:
		a = append(a, attribute.String("gen_ai.operation.name", "invoke_agent"), attribute.String("gen_ai.agent.name", s.Name), attribute.String("gen_ai.system", system))
		name = "invoke_agent " + s.Name
		if n, ok := num("tokens"); ok {
			a = append(a, attribute.Int64("ponder.tokens", n))
		}
		if o.Content {
			if q, ok := str("question"); ok {
				a = append(a, attribute.String("ponder.question", q))
			}
			if ans, ok := str("answer"); ok {
				a = append(a, attribute.String("ponder.answer", ans))
			}
		}
	}
	return name, a
}

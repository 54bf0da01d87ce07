// Package trace records what a run did: every model call, tool call and chain
// step becomes a Span in a tree. A Tracer travels in the context, so library
// code records spans with Start(ctx, ...) without being handed a tracer; when
// the context has none, Start returns a no-op span and costs almost nothing.
//
// A Tracer is safe for concurrent use. Export with WriteJSONL (one span per
// line, parents before children) or render for people with WriteText.
package trace

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ponder-go/ponder/internal/clip"
)

// Span kinds used by Ponder's packages. Callers may use their own.
const (
	KindModel  = "model"  // one call to an llm.Model
	KindTool   = "tool"   // one tool invocation
	KindChain  = "chain"  // one chain step (contains its model calls)
	KindAgent  = "agent"  // one agent run
	KindStep   = "step"   // one agent step (thought, action, observation)
	KindSearch = "search" // one tree search (tot)
)

// Span is one timed unit of work. Attrs hold what the work saw and produced
// (prompt, output, tokens, ...). Fields are written by the goroutine that owns
// the span; the Tracer reads them under its lock after End.
type Span struct {
	ID       int64          `json:"id"`
	ParentID int64          `json:"parent_id,omitempty"`
	Kind     string         `json:"kind"`
	Name     string         `json:"name"`
	Start    time.Time      `json:"start"`
	End      time.Time      `json:"end"`
	Attrs    map[string]any `json:"attrs,omitempty"`
	Error    string         `json:"error,omitempty"`

	tracer *Tracer
}

// Tracer collects spans.
type Tracer struct {
	mu    sync.Mutex
	next  int64
	spans []*Span
	// OnEnd, when set, is called (outside the lock) with each span as it ends.
	OnEnd func(*Span)
}

// New returns an empty Tracer.
func New() *Tracer { return &Tracer{} }

type tracerKey struct{}
type spanKey struct{}

// WithTracer returns a context whose spans are recorded by t.
func WithTracer(ctx context.Context, t *Tracer) context.Context {
	return context.WithValue(ctx, tracerKey{}, t)
}

// FromContext returns the context's Tracer, or nil.
func FromContext(ctx context.Context) *Tracer {
	t, _ := ctx.Value(tracerKey{}).(*Tracer)
	return t
}

// Start opens a span under the context's current span and returns a context
// in which it is the current span. Without a Tracer in ctx the span is a no-op.
// Always call End.
func Start(ctx context.Context, kind, name string) (context.Context, *Span) {
	t := FromContext(ctx)
	if t == nil {
		return ctx, nil
	}
	s := &Span{Kind: kind, Name: name, Start: time.Now(), tracer: t}
	if p, ok := ctx.Value(spanKey{}).(*Span); ok && p != nil {
		s.ParentID = p.ID
	}
	t.mu.Lock()
	t.next++
	s.ID = t.next
	t.mu.Unlock()
	return context.WithValue(ctx, spanKey{}, s), s
}

// Set records an attribute. Safe on a nil (no-op) span.
func (s *Span) Set(key string, v any) {
	if s == nil {
		return
	}
	s.tracer.mu.Lock()
	if s.Attrs == nil {
		s.Attrs = map[string]any{}
	}
	s.Attrs[key] = v
	s.tracer.mu.Unlock()
}

// Finish closes the span, recording err if non-nil. Safe on a nil span.
func (s *Span) Finish(err error) {
	if s == nil {
		return
	}
	t := s.tracer
	t.mu.Lock()
	s.End = time.Now()
	if err != nil {
		s.Error = err.Error()
	}
	t.spans = append(t.spans, s)
	onEnd := t.OnEnd
	t.mu.Unlock()
	if onEnd != nil {
		onEnd(s)
	}
}

// Duration is End - Start.
func (s *Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Spans returns a copy of the finished spans ordered by ID (start order).
func (t *Tracer) Spans() []Span {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Span, len(t.spans))
	for i, s := range t.spans {
		out[i] = *s
		out[i].tracer = nil
		if s.Attrs != nil {
			out[i].Attrs = make(map[string]any, len(s.Attrs))
			for k, v := range s.Attrs {
				out[i].Attrs[k] = v
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// WriteJSONL writes one JSON object per finished span, in start order.
func (t *Tracer) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, s := range t.Spans() {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("trace: writing span %d: %w", s.ID, err)
		}
	}
	return nil
}

// ReadJSONL parses what WriteJSONL wrote.
func ReadJSONL(r io.Reader) ([]Span, error) {
	dec := json.NewDecoder(r)
	var out []Span
	for dec.More() {
		var s Span
		if err := dec.Decode(&s); err != nil {
			return out, fmt.Errorf("trace: span %d: %w", len(out)+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// WriteText renders the span tree for people: one line per span, indented
// under its parent, with duration, a few key attributes and any error.
func (t *Tracer) WriteText(w io.Writer) error {
	spans := t.Spans()
	children := map[int64][]Span{}
	ids := map[int64]bool{}
	for _, s := range spans {
		ids[s.ID] = true
	}
	for _, s := range spans {
		p := s.ParentID
		if !ids[p] {
			p = 0 // parent not finished (or not recorded): show at top level
		}
		children[p] = append(children[p], s)
	}
	var walk func(parent int64, depth int) error
	walk = func(parent int64, depth int) error {
		for _, s := range children[parent] {
			line := fmt.Sprintf("%s%s %s (%s)", strings.Repeat("  ", depth), s.Kind, s.Name, s.Duration().Round(time.Microsecond))
			for _, k := range []string{"tokens", "input", "output", "answer"} {
				if v, ok := s.Attrs[k]; ok {
					line += fmt.Sprintf(" %s=%s", k, clip.String(strings.ReplaceAll(fmt.Sprint(v), "\n", `\n`), 60))
				}
			}
			if s.Error != "" {
				line += " ERROR: " + clip.String(strings.ReplaceAll(s.Error, "\n", `\n`), 120)
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
			if err := walk(s.ID, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(0, 0)
}

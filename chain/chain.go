// Package chain composes prompt programs: templates, few-shot prompts,
// pipelines of steps, and the reasoning patterns that make a model think
// before it answers: chain-of-thought (CoT), self-consistency (sample many,
// vote) and reflection (check the output against the assignment, retry).
//
// Every step takes the caller's context and records a trace span; model calls
// inside a step appear as its children.
package chain

import (
	"context"
	"fmt"

	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// Values are a chain's named inputs and outputs.
type Values map[string]any

// String returns v[key] as a string ("" if absent).
func (v Values) String(key string) string {
	s, _ := v[key].(string)
	return s
}

// Chain maps named inputs to named outputs.
type Chain interface {
	Run(ctx context.Context, in Values) (Values, error)
}

// Func adapts a function to Chain.
type Func func(ctx context.Context, in Values) (Values, error)

// Run calls f.
func (f Func) Run(ctx context.Context, in Values) (Values, error) { return f(ctx, in) }

// Step wraps c in a trace span named name (kind "chain").
func Step(name string, c Chain) Chain {
	return Func(func(ctx context.Context, in Values) (Values, error) {
		ctx, span := trace.Start(ctx, trace.KindChain, name)
		out, err := c.Run(ctx, in)
		span.Finish(err)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	})
}

// Prompt is the basic step: render Template with the inputs, call Model, and
// put the output text in OutputKey (default "text").
type Prompt struct {
	Name      string
	Model     llm.Model
	Template  *Template
	System    string      // optional system message
	Request   llm.Request // base request: temperature, max tokens, stop, ...
	OutputKey string
}

// Run implements Chain.
func (p *Prompt) Run(ctx context.Context, in Values) (Values, error) {
	name := p.Name
	if name == "" {
		name = p.Template.Name()
	}
	ctx, span := trace.Start(ctx, trace.KindChain, name)
	text, err := p.Template.Render(in)
	if err != nil {
		span.Finish(err)
		return nil, err
	}
	req := p.Request
	req.Messages = nil
	if p.System != "" {
		req.Messages = append(req.Messages, llm.System(p.System))
	}
	req.Messages = append(req.Messages, llm.User(text))
	resp, err := llm.Generate(ctx, p.Model, req)
	span.Finish(err)
	if err != nil {
		return nil, fmt.Errorf("chain: %s: %w", name, err)
	}
	key := p.OutputKey
	if key == "" {
		key = "text"
	}
	return Values{key: resp.Text()}, nil
}

// Sequential runs steps in order. Each step sees the original inputs plus
// every earlier step's outputs; the result is all of them merged.
func Sequential(steps ...Chain) Chain {
	return Func(func(ctx context.Context, in Values) (Values, error) {
		acc := Values{}
		for k, v := range in {
			acc[k] = v
		}
		for i, s := range steps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			out, err := s.Run(ctx, acc)
			if err != nil {
				return nil, fmt.Errorf("chain: step %d: %w", i, err)
			}
			for k, v := range out {
				acc[k] = v
			}
		}
		return acc, nil
	})
}

// Parallel runs steps concurrently on the same inputs, at most limit at once
// (limit < 1: all). Outputs are merged; on a key clash the later step wins.
// The first error cancels the others.
func Parallel(limit int, steps ...Chain) Chain {
	return Func(func(ctx context.Context, in Values) (Values, error) {
		outs := make([]Values, len(steps))
		err := par.Do(ctx, len(steps), limit, func(ctx context.Context, i int) error {
			out, err := steps[i].Run(ctx, in)
			if err != nil {
				return fmt.Errorf("chain: parallel step %d: %w", i, err)
			}
			outs[i] = out
			return nil
		})
		if err != nil {
			return nil, err
		}
		merged := Values{}
		for _, o := range outs {
			for k, v := range o {
				merged[k] = v
			}
		}
		return merged, nil
	})
}

// Map runs c once per element of the list in[listKey] ([]string or []any),
// with the element under itemKey alongside the other inputs, at most limit at
// once. It returns the list of each run's outKey output under outKey.
func Map(limit int, listKey, itemKey, outKey string, c Chain) Chain {
	return Func(func(ctx context.Context, in Values) (Values, error) {
		var items []any
		switch l := in[listKey].(type) {
		case []any:
			items = l
		case []string:
			for _, s := range l {
				items = append(items, s)
			}
		case nil:
			return nil, fmt.Errorf("chain: map: missing input %q", listKey)
		default:
			return nil, fmt.Errorf("chain: map: input %q is %T, want a list", listKey, l)
		}
		results := make([]any, len(items))
		err := par.Do(ctx, len(items), limit, func(ctx context.Context, i int) error {
			sub := Values{}
			for k, v := range in {
				sub[k] = v
			}
			sub[itemKey] = items[i]
			out, err := c.Run(ctx, sub)
			if err != nil {
				return fmt.Errorf("chain: map item %d: %w", i, err)
			}
			results[i] = out[outKey]
			return nil
		})
		if err != nil {
			return nil, err
		}
		return Values{outKey: results}, nil
	})
}

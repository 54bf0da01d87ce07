package llm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/trace"
)

// Generate calls m under a trace span of kind "model" recording the prompt,
// the output(s), token usage and any error. A cancelled context yields an
// error matching ErrCanceled.
func Generate(ctx context.Context, m Model, req Request) (*Response, error) {
	return call(ctx, m, req, nil)
}

// Stream is Generate with fn receiving output as it is produced. Backends that
// do not implement Streamer deliver each choice's whole text as one chunk.
func Stream(ctx context.Context, m Model, req Request, fn func(Chunk) error) (*Response, error) {
	return call(ctx, m, req, fn)
}

func call(ctx context.Context, m Model, req Request, fn func(Chunk) error) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, Canceled("llm", err)
	}
	ctx, span := trace.Start(ctx, trace.KindModel, "generate")
	span.Set("prompt", req.Prompt())
	if req.N > 1 {
		span.Set("n", req.N)
	}
	var (
		resp *Response
		err  error
	)
	if fn == nil {
		resp, err = m.Generate(ctx, req)
	} else if s, ok := m.(Streamer); ok {
		resp, err = s.Stream(ctx, req, fn)
	} else {
		resp, err = m.Generate(ctx, req)
		if err == nil {
			for _, c := range resp.Choices {
				if e := fn(Chunk{Choice: c.Index, Text: c.Text}); e != nil {
					err = e
					break
				}
			}
		}
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrCanceled) {
		err = Canceled("llm", fmt.Errorf("%w (%v)", ctx.Err(), err))
	}
	if err == nil && resp == nil {
		err = &Error{Kind: ErrBadOutput, Msg: "backend returned no response and no error"}
	}
	if resp != nil {
		if len(resp.Choices) == 1 {
			span.Set("output", resp.Choices[0].Text)
		} else {
			outs := make([]string, len(resp.Choices))
			for i, c := range resp.Choices {
				outs[i] = c.Text
			}
			span.Set("outputs", outs)
		}
		span.Set("tokens", resp.Usage.TotalTokens)
		span.Set("input_tokens", resp.Usage.PromptTokens)
		span.Set("output_tokens", resp.Usage.CompletionTokens)
		if model := cmp.Or(resp.Model, req.Model); model != "" {
			span.Set("model", model)
		}
		reasons := make([]string, len(resp.Choices))
		for i, c := range resp.Choices {
			reasons[i] = c.FinishReason
		}
		span.Set("finish_reasons", reasons)
	}
	span.Finish(err)
	return resp, err
}

// Sample returns n choices for req. It asks m for all n at once and, when the
// backend returns fewer (many servers ignore n), fills the rest with
// concurrent single-sample calls, at most concurrency at a time. Choices are
// re-indexed 0..n-1; usage is summed.
func Sample(ctx context.Context, m Model, req Request, n, concurrency int) (*Response, error) {
	if n < 1 {
		n = 1
	}
	req.N = n
	resp, err := Generate(ctx, m, req)
	if err != nil {
		return nil, err
	}
	if len(resp.Choices) >= n {
		resp.Choices = resp.Choices[:n]
		return resp, nil
	}
	missing := n - len(resp.Choices)
	req.N = 1
	var mu sync.Mutex
	err = par.Do(ctx, missing, concurrency, func(ctx context.Context, _ int) error {
		r, err := Generate(ctx, m, req)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		resp.Choices = append(resp.Choices, r.Choices...)
		resp.Usage = resp.Usage.Add(r.Usage)
		return nil
	})
	if err != nil {
		if !errors.As(err, new(*Error)) && ctx.Err() != nil {
			return nil, Canceled("llm", err)
		}
		return nil, err
	}
	if len(resp.Choices) > n {
		resp.Choices = resp.Choices[:n]
	}
	for i := range resp.Choices {
		resp.Choices[i].Index = i
	}
	return resp, nil
}

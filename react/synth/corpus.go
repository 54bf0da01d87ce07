package synth

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/ponder-go/ponder/tools/corpus"
)

// Example is one training trace: text and which bytes the model produces.
type Example struct {
	Task    Task
	Text    string
	Produce []bool
}

// Examples generates n traces over a world of places invented from seed:
// half from NewTask's trained wordings, half from NewUserTask.
func Examples(ctx context.Context, seed uint64, places, n int) ([]Example, error) {
	return generate(ctx, seed, places, n, true)
}

// TrainedExamples generates n traces as Examples does, all in NewTask's
// trained wordings: the simpler data a model first learns to copy
// figures from, before it meets questions as people type them.
func TrainedExamples(ctx context.Context, seed uint64, places, n int) ([]Example, error) {
	return generate(ctx, seed, places, n, false)
}

func generate(ctx context.Context, seed uint64, places, n int, typed bool) ([]Example, error) {
	w, err := NewWorld(seed, places)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(w.Places))
	for i, p := range w.Places {
		names[i] = p.Name
	}
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Example, 0, n)
	skipped := 0
	for len(out) < n {
		// With typed, half the questions are worded as the agent's reader
		// hands them to the model, half as people type them.
		t := NewTask(r, names, func(n string) corpus.State { return w.byName[n] })
		if typed && r.IntN(2) == 0 {
			t = NewUserTask(r, w)
		}
		steps, err := Trace(ctx, w.Tools, t)
		if errors.Is(err, errObservation) && skipped < n/100+10 {
			// A task the real search cannot support makes no trace; a
			// few such tasks are dropped, many would be a bug.
			skipped++
			continue
		}
		if err != nil {
			return nil, err
		}
		text, produce := Render(t.Question, steps)
		out = append(out, Example{Task: t, Text: text, Produce: produce})
	}
	return out, nil
}

// Facts returns a lookup of the world's places (for evaluation tasks).
func (w *World) Facts(name string) corpus.State { return w.byName[name] }

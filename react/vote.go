package react

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
)

// Vote is self-consistency over whole agent runs: it runs Agent N times
// with sampling (different seeds) and returns the answer most runs reach.
// A weak model that gets the right trajectory only some of the time, and
// goes wrong in different ways the rest, still answers right by plurality.
type Vote struct {
	Agent       *Agent  // the runs' settings; Temperature, Seed and OnStep are set per run
	N           int     // runs (default 5)
	Temperature float64 // sampling temperature of every run (default 0.7)
	Seed        int64   // run i uses seed Seed+i
	Concurrency int     // runs at once (default 2)
	// Key maps an answer to what is compared (default
	// chain.NormalizeAnswer: a lone number, normalised, or the text).
	Key func(answer string) string
}

// VoteResult is the winning answer with the tally and every run.
type VoteResult struct {
	Answer    string         // the first answer of the winning key
	Votes     map[string]int // answers per key
	Agreement float64        // winning votes / N
	Runs      []*Result      // each run's result (nil where a run never started)
	Errors    []error        // each run's error (nil when it answered)
}

// ErrNoVotes is returned when no run produced an answer.
var ErrNoVotes = errors.New("react: no run produced an answer")

// Run runs the agents and tallies their answers. Runs that fail (limits,
// unreadable output) cast no vote; the context's end stops all of them.
func (v *Vote) Run(ctx context.Context, question string) (*VoteResult, error) {
	if v.Agent == nil {
		return nil, errors.New("react: Vote needs an Agent")
	}
	n := v.N
	if n <= 0 {
		n = 5
	}
	temp := v.Temperature
	if temp == 0 {
		temp = 0.7
	}
	conc := v.Concurrency
	if conc <= 0 {
		conc = 2
	}
	key := v.Key
	if key == nil {
		key = chain.NormalizeAnswer
	}
	res := &VoteResult{Votes: map[string]int{}, Runs: make([]*Result, n), Errors: make([]error, n)}
	err := par.Do(ctx, n, conc, func(ctx context.Context, i int) error {
		a := *v.Agent
		a.Temperature, a.Seed, a.OnStep = llm.Temp(temp), llm.Seed(v.Seed+int64(i)), nil
		res.Runs[i], res.Errors[i] = a.Run(ctx, question)
		if ctx.Err() != nil {
			return ctx.Err() // only the caller's context ending stops the vote
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("react: vote: %w", err)
	}
	first := map[string]string{} // each key's first answer
	order := map[string]int{}    // and the run that reached it first
	for i, r := range res.Runs {
		if res.Errors[i] != nil || r == nil || r.Answer == "" {
			continue
		}
		k := key(r.Answer)
		res.Votes[k]++
		if _, ok := first[k]; !ok {
			first[k], order[k] = r.Answer, i
		}
	}
	if len(res.Votes) == 0 {
		return res, fmt.Errorf("%w (%d runs; first error: %v)", ErrNoVotes, n, firstErr(res.Errors))
	}
	keys := make([]string, 0, len(res.Votes))
	for k := range res.Votes {
		keys = append(keys, k)
	}
	// Most votes wins; a tie goes to the key an earlier run reached first.
	sort.Slice(keys, func(i, j int) bool {
		if res.Votes[keys[i]] != res.Votes[keys[j]] {
			return res.Votes[keys[i]] > res.Votes[keys[j]]
		}
		return order[keys[i]] < order[keys[j]]
	})
	res.Answer = first[keys[0]]
	res.Agreement = float64(res.Votes[keys[0]]) / float64(n)
	return res, nil
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

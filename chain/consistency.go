package chain

import (
	"context"
	"fmt"
	"sort"

	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// SelfConsistency samples several chain-of-thought answers at a temperature
// above zero and takes a majority vote (Wang et al. 2022): a model that is
// right more often than wrong in any one way is right more often still when
// it agrees with itself.
type SelfConsistency struct {
	CoT         *CoT
	N           int     // samples; default 10
	Temperature float64 // default 0.7
	// Concurrency bounds parallel model calls (answer passes, and samples
	// when the backend returns fewer than N choices per call); default N.
	Concurrency int
	Normalize   func(string) string // default NormalizeAnswer
}

// Sample is one reasoning path and its answer.
type Sample struct {
	Reasoning  string `json:"reasoning"`
	Answer     string `json:"answer"`
	Normalized string `json:"normalized"`
	Err        string `json:"error,omitempty"` // why no answer was extracted
}

// Vote is the result of self-consistency.
type Vote struct {
	Answer    string         `json:"answer"` // the winner (its first raw form)
	Counts    map[string]int `json:"counts"` // normalised answer -> votes
	Agreement float64        `json:"agreement"`
	Samples   []Sample       `json:"samples"`
	Usage     llm.Usage      `json:"usage"`
}

// Ranked returns the answers by descending votes (ties: first seen first).
func (v *Vote) Ranked() []string {
	first := map[string]int{}
	for i, s := range v.Samples {
		if _, ok := first[s.Normalized]; !ok && s.Normalized != "" {
			first[s.Normalized] = i
		}
	}
	out := make([]string, 0, len(v.Counts))
	for a := range v.Counts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if v.Counts[out[i]] != v.Counts[out[j]] {
			return v.Counts[out[i]] > v.Counts[out[j]]
		}
		return first[out[i]] < first[out[j]]
	})
	return out
}

// Run samples, extracts, normalises and votes. Samples whose answer cannot be
// extracted abstain; if all abstain, Run fails.
func (s *SelfConsistency) Run(ctx context.Context, question string) (*Vote, error) {
	ctx, span := trace.Start(ctx, trace.KindChain, "self-consistency")
	v, err := s.run(ctx, question)
	if v != nil {
		span.Set("answer", v.Answer)
		span.Set("counts", v.Counts)
	}
	span.Finish(err)
	return v, err
}

func (s *SelfConsistency) run(ctx context.Context, question string) (*Vote, error) {
	if s.CoT == nil || s.CoT.Model == nil {
		return nil, fmt.Errorf("chain: self-consistency needs a CoT with a Model")
	}
	n := s.N
	if n <= 0 {
		n = 10
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = n
	}
	temp := s.Temperature
	if temp <= 0 {
		temp = 0.7
	}
	norm := s.Normalize
	if norm == nil {
		norm = NormalizeAnswer
	}
	prompt := s.CoT.Prompt(question)
	req := s.CoT.request(prompt)
	req.Temperature = llm.Temp(temp)
	resp, err := llm.Sample(ctx, s.CoT.Model, req, n, conc)
	if err != nil {
		return nil, fmt.Errorf("chain: self-consistency: %w", err)
	}
	v := &Vote{Counts: map[string]int{}, Samples: make([]Sample, len(resp.Choices)), Usage: resp.Usage}
	usages := make([]llm.Usage, len(resp.Choices))
	err = par.Do(ctx, len(resp.Choices), conc, func(ctx context.Context, i int) error {
		reasoning := resp.Choices[i].Text
		ans, u, err := s.CoT.answer(ctx, prompt, reasoning)
		usages[i] = u
		smp := Sample{Reasoning: reasoning, Answer: ans}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			smp.Err = err.Error()
		} else {
			smp.Normalized = norm(ans)
		}
		v.Samples[i] = smp
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chain: self-consistency: %w", err)
	}
	voters := 0
	for i, smp := range v.Samples {
		v.Usage = v.Usage.Add(usages[i])
		if smp.Normalized == "" {
			continue
		}
		v.Counts[smp.Normalized]++
		voters++
	}
	if voters == 0 {
		return v, fmt.Errorf("chain: self-consistency: %w in any of %d samples", ErrNoAnswer, len(v.Samples))
	}
	winner := v.Ranked()[0]
	for _, smp := range v.Samples {
		if smp.Normalized == winner {
			v.Answer = smp.Answer
			break
		}
	}
	v.Agreement = float64(v.Counts[winner]) / float64(len(v.Samples))
	return v, nil
}

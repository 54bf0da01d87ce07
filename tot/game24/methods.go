package game24

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tot"
)

// Prompts written for Ponder (not copied from the ToT repository).
const (
	ProposePrompt = `Game of 24: combine numbers two at a time with + - * / until one number is left; the goal is 24.
Each step uses two of the numbers left and replaces them by the result.
Numbers left: 2 8 8 14
Possible next steps:
2 + 8 = 10 (left: 8 10 14)
8 / 2 = 4 (left: 4 8 14)
14 - 8 = 6 (left: 2 6 8)
14 + 2 = 16 (left: 8 8 16)
8 * 2 = 16 (left: 8 14 16)
Numbers left: %s
Possible next steps:
`
	ValuePrompt = `Judge whether the numbers can still reach 24 with + - * / (each number used once).
Reply with a short reason, then a last line that is one word: sure, likely or impossible.
Numbers: 10 14
10 + 14 = 24
sure
Numbers: 11 12
11 + 12 = 23, 12 - 11 = 1, 11 * 12 = 132, 11 / 12 is less than 1
impossible
Numbers: 4 4 10
10 - 4 = 6, 6 * 4 = 24
sure
Numbers: 1 3 3
1 * 3 * 3 = 9, (1 + 3) * 3 = 12: all too small
impossible
Numbers: %s
`
	IOPrompt = `Use the four numbers and + - * / (each number exactly once) to make 24.
Input: 4 4 6 8
Answer: (4 + 8) * (6 - 4) = 24
Input: 2 9 10 12
Answer: 2 * 12 * (10 - 9) = 24
Input: %s
Answer:`
	CoTPrompt = `Use the four numbers and + - * / (each number exactly once) to make 24. Work step by step, two numbers at a time, then give the whole expression.
Input: 4 4 6 8
Steps:
4 + 8 = 12 (left: 4 6 12)
6 - 4 = 2 (left: 2 12)
2 * 12 = 24 (left: 24)
Answer: (6 - 4) * (4 + 8) = 24
Input: %s
Steps:
`
)

var answerRE = regexp.MustCompile(`(?i)answer:\s*([^\n]+)`)

// ExtractAnswer takes the expression after the last "Answer:" (or the last
// line), without "= 24".
func ExtractAnswer(text string) string {
	if m := answerRE.FindAllStringSubmatch(text, -1); len(m) > 0 {
		return strings.TrimSpace(strings.Split(m[len(m)-1][1], "=")[0])
	}
	l, _ := chain.FinalLine(text)
	return strings.TrimSpace(strings.Split(l, "=")[0])
}

// ModelProposer asks a model for next steps and keeps only the ones that
// are arithmetically right and use numbers that are left: a model proposer
// with a programmatic checker.
type ModelProposer struct {
	Model llm.Model
	Max   int // steps kept per state (default 8)
}

// Generate implements tot.Generator.
func (p *ModelProposer) Generate(ctx context.Context, state string) ([]tot.Thought, error) {
	vals, _, err := Left(state)
	if err != nil {
		return nil, err
	}
	if len(vals) < 2 {
		return nil, nil
	}
	prompt := fmt.Sprintf(ProposePrompt, ratList(vals))
	resp, err := tot.Call(ctx, p.Model, llm.Request{Messages: []llm.Message{llm.User(prompt)}, Temperature: llm.Temp(0), MaxTokens: 200})
	if err != nil {
		return nil, err
	}
	var out []tot.Thought
	seen := map[string]bool{}
	for _, line := range strings.Split(resp.Text(), "\n") {
		line = chain.CleanLine(line) // "1. 13 - 9 = 4 (left: 4 4 10)", "- **...**"
		m := stepRE.FindString(line)
		if m == "" || seen[m] {
			continue
		}
		next := state + "\n" + m
		if _, _, err := Left(next); err != nil {
			continue // wrong arithmetic or numbers not left: dropped by the checker
		}
		seen[m] = true
		out = append(out, tot.Thought{State: next, Text: m, Prompt: prompt, Output: resp.Text()})
		if len(out) >= def(p.Max, 8) {
			break
		}
	}
	return out, nil
}

// ModelValue rates states by asking the model about the numbers left
// (N samples, tot.DefaultScores); a finished state is judged exactly.
type ModelValue struct {
	Model llm.Model
	N     int // default 3
}

// Evaluate implements tot.Evaluator.
func (v *ModelValue) Evaluate(ctx context.Context, states []string) ([]tot.Evaluation, error) {
	out := make([]tot.Evaluation, len(states))
	for i, s := range states {
		vals, _, err := Left(s)
		if err != nil {
			continue
		}
		if len(vals) == 1 {
			if vals[0].Cmp(target) == 0 {
				out[i].Value = tot.DefaultScores["sure"]
			}
			continue
		}
		inner := &tot.Value{Model: v.Model, N: def(v.N, 3), Prompt: chain.MustTemplate("value", strings.Replace(ValuePrompt, "%s", "{{.state}}", 1)),
			Request: llm.Request{MaxTokens: 100}}
		e, err := inner.Evaluate(ctx, []string{ratList(vals)})
		if err != nil {
			return nil, err
		}
		out[i] = e[0]
	}
	return out, nil
}

func def(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// MethodResult is one method's outcome on one puzzle.
type MethodResult struct {
	Method   string
	Puzzle   []int
	Answer   string
	Solved   bool
	Calls    int
	Tokens   int
	Duration time.Duration
	Tree     *tot.Result // ToT only
}

// Methods lists the methods Run compares.
var Methods = []string{"io", "cot", "cot-sc", "tot-b1", "tot-b5"}

// Run solves one puzzle with one method using model m.
func Run(ctx context.Context, m llm.Model, method string, puzzle []int) (res MethodResult, err error) {
	res = MethodResult{Method: method, Puzzle: puzzle}
	t0 := time.Now()
	// A named result: the deferred assignment lands in what is returned
	// (with an unnamed one it wrote to a copy and ms/puzzle read 0).
	defer func() { res.Duration = time.Since(t0) }()
	input := FormatNumbers(puzzle)
	one := func(prompt string, n int) (*llm.Response, error) {
		req := llm.Request{Messages: []llm.Message{llm.User(prompt)}, MaxTokens: 200}
		if n > 1 {
			return llm.Sample(ctx, m, llm.Request{Messages: req.Messages, MaxTokens: 200, Temperature: llm.Temp(0.7)}, n, n)
		}
		req.Temperature = llm.Temp(0)
		return llm.Generate(ctx, m, req)
	}
	switch method {
	case "io", "cot":
		prompt := fmt.Sprintf(IOPrompt, input)
		if method == "cot" {
			prompt = fmt.Sprintf(CoTPrompt, input)
		}
		resp, err := one(prompt, 1)
		if err != nil {
			return res, err
		}
		res.Calls, res.Tokens = 1, resp.Usage.TotalTokens
		res.Answer = ExtractAnswer(resp.Text())
		res.Solved = Verify(res.Answer, puzzle) == nil
	case "cot-sc":
		resp, err := one(fmt.Sprintf(CoTPrompt, input), 5)
		if err != nil {
			return res, err
		}
		res.Calls, res.Tokens = 1, resp.Usage.TotalTokens
		counts := map[string]int{}
		best := ""
		for _, c := range resp.Choices {
			a := strings.ReplaceAll(ExtractAnswer(c.Text), " ", "")
			counts[a]++
			if best == "" || counts[a] > counts[best] {
				best = a
			}
		}
		res.Answer = best
		res.Solved = Verify(best, puzzle) == nil
	case "tot-b1", "tot-b5":
		b := 1
		if method == "tot-b5" {
			b = 5
		}
		p := Problem(puzzle, &ModelProposer{Model: m}, &ModelValue{Model: m})
		r, err := tot.BFS{Breadth: b, Depth: 3}.Search(ctx, p, tot.Budget{Workers: 16, Calls: 200})
		if err != nil {
			return res, err
		}
		res.Tree, res.Calls, res.Tokens, res.Answer = r, r.Calls, r.Tokens, r.Answer
		res.Solved = r.Solved && Verify(r.Answer, puzzle) == nil
	default:
		return res, fmt.Errorf("game24: unknown method %q (have %s)", method, strings.Join(Methods, ", "))
	}
	return res, nil
}

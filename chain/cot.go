package chain

import (
	"context"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// Zero-shot chain-of-thought triggers. The second is the stronger one found
// by automatic prompt search (Zhou et al. 2022).
const (
	StepByStep     = "Let's think step by step."
	StepByStepSure = "Let's work this out in a step by step way to be sure we have the right answer."
)

// AnswerTrigger starts the second, answer-extraction pass of two-pass CoT.
const AnswerTrigger = "Therefore, the answer is"

// CoTExample is a worked example for few-shot chain-of-thought.
type CoTExample struct {
	Question, Reasoning, Answer string
}

// CoT asks a model to reason before answering and extracts the answer.
//
// The prompt is: the few-shot Examples (each "Q: ...\nA: <reasoning> The
// answer is <answer>."), then "Q: <question>\nA: <Trigger>". With TwoPass the
// reasoning is sent back followed by AnswerTrigger and the answer is
// extracted from that second reply (Kojima et al. 2022); otherwise it is
// extracted from the reasoning.
type CoT struct {
	Model    llm.Model
	Trigger  string // default StepByStep; "" with Examples set means none
	Examples []CoTExample
	Extract  Extractor   // default FinalLine for two-pass, Number otherwise
	TwoPass  bool        // ask a second time for the answer alone
	Request  llm.Request // base request (temperature, max tokens, ...)
	System   string
}

// Reasoned is the result of a CoT run: the reasoning is kept.
type Reasoned struct {
	Question  string    `json:"question"`
	Prompt    string    `json:"prompt"`
	Reasoning string    `json:"reasoning"`
	Answer    string    `json:"answer"`
	Usage     llm.Usage `json:"usage"`
}

func (c *CoT) trigger() string {
	if c.Trigger == "" && len(c.Examples) == 0 {
		return StepByStep
	}
	return c.Trigger
}

// Prompt renders the prompt for question.
func (c *CoT) Prompt(question string) string {
	var b strings.Builder
	for _, ex := range c.Examples {
		fmt.Fprintf(&b, "Q: %s\nA: %s The answer is %s.\n\n", ex.Question, strings.TrimSpace(ex.Reasoning), ex.Answer)
	}
	fmt.Fprintf(&b, "Q: %s\nA:", question)
	if t := c.trigger(); t != "" {
		b.WriteString(" " + t)
	}
	return b.String()
}

func (c *CoT) request(prompt string) llm.Request {
	req := c.Request
	req.Messages = nil
	if c.System != "" {
		req.Messages = append(req.Messages, llm.System(c.System))
	}
	req.Messages = append(req.Messages, llm.User(prompt))
	return req
}

// Run reasons about question once.
func (c *CoT) Run(ctx context.Context, question string) (*Reasoned, error) {
	ctx, span := trace.Start(ctx, trace.KindChain, "cot")
	r, err := c.run(ctx, question)
	if r != nil {
		span.Set("answer", r.Answer)
	}
	span.Finish(err)
	return r, err
}

func (c *CoT) run(ctx context.Context, question string) (*Reasoned, error) {
	prompt := c.Prompt(question)
	resp, err := llm.Generate(ctx, c.Model, c.request(prompt))
	if err != nil {
		return nil, fmt.Errorf("chain: cot: %w", err)
	}
	r := &Reasoned{Question: question, Prompt: prompt, Reasoning: strings.TrimSpace(resp.Text()), Usage: resp.Usage}
	ans, usage, err := c.answer(ctx, prompt, r.Reasoning)
	r.Usage = r.Usage.Add(usage)
	r.Answer = ans
	return r, err
}

// answer extracts the answer from reasoning, with a second model call when
// TwoPass is set.
func (c *CoT) answer(ctx context.Context, prompt, reasoning string) (string, llm.Usage, error) {
	extract := c.Extract
	source := reasoning
	var usage llm.Usage
	if c.TwoPass {
		req := c.request(prompt + " " + reasoning + "\n" + AnswerTrigger)
		resp, err := llm.Generate(ctx, c.Model, req)
		if err != nil {
			return "", usage, fmt.Errorf("chain: cot answer pass: %w", err)
		}
		usage = resp.Usage
		source = resp.Text()
		if extract == nil {
			extract = FinalLine
		}
	}
	if extract == nil {
		extract = Number
	}
	ans, err := extract(source)
	if err != nil {
		return "", usage, err
	}
	return ans, usage, nil
}

// Chain returns c as a Chain reading "question" and writing "reasoning" and
// "answer".
func (c *CoT) Chain() Chain {
	return Func(func(ctx context.Context, in Values) (Values, error) {
		q, ok := in["question"].(string)
		if !ok {
			return nil, fmt.Errorf("chain: cot: missing string input %q", "question")
		}
		r, err := c.Run(ctx, q)
		if err != nil {
			return nil, err
		}
		return Values{"reasoning": r.Reasoning, "answer": r.Answer}, nil
	})
}

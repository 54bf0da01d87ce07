// Package sim simulates a language model playing the Game of 24, in
// process, for tests, benchmarks and demonstrations without a real model
// (ponder tot game24 -backend sim). It is a plumbing check, not a
// measurement of any real model.
//
// Skill (0..1) is the chance one reasoning step is right: each proposed step
// is legal (the ones that keep 24 reachable first) or, failing the roll, a
// wrong step; each value verdict follows the exact solver or is flipped. A
// whole answer in one go (IO, CoT) needs three steps right, so it is correct
// with probability skill³. The randomness is a hash of the prompt and the
// sample index: runs repeat exactly.
package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tot/game24"
)

// Model plays the game with the given skill.
type Model struct{ Skill float64 }

// New returns a simulated player.
func New(skill float64) *Model { return &Model{Skill: skill} }

// Generate implements llm.Model: one reply per sample to the last
// message.
func (m *Model) Generate(ctx context.Context, req llm.Request) (*llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("sim: %w: no messages", llm.ErrBadRequest)
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	resp := &llm.Response{Model: "game24-sim"}
	for i := 0; i < req.Samples(); i++ {
		text := Reply(prompt, i, m.Skill)
		resp.Choices = append(resp.Choices, llm.Choice{Index: i, Text: text, FinishReason: llm.FinishStop})
		resp.Usage.CompletionTokens += len(strings.Fields(text))
	}
	resp.Usage.PromptTokens = len(strings.Fields(prompt))
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	return resp, nil
}

var (
	leftRE    = regexp.MustCompile(`Numbers left: ([^\n]+)\nPossible next steps:\n$`)
	numbersRE = regexp.MustCompile(`Numbers: ([^\n]+)\n$`)
	inputRE   = regexp.MustCompile(`Input: ([^\n]+)\n(Answer:|Steps:\n)$`)
)

// Reply is the simulated reply to a prompt, for one sample.
func Reply(prompt string, sample int, skill float64) string {
	roll := func(salt string) bool { return chance(prompt, sample, salt) < skill }
	rollAnswer := func() bool { return chance(prompt, sample, "answer") < skill*skill*skill }
	if m := leftRE.FindStringSubmatch(prompt); m != nil {
		return propose(m[1], roll)
	}
	if m := numbersRE.FindStringSubmatch(prompt); m != nil {
		ok := solvable(m[1])
		if !roll("value") {
			ok = !ok
		}
		if ok {
			return "I can see a way.\nsure"
		}
		return "Nothing reaches 24.\nimpossible"
	}
	if m := inputRE.FindStringSubmatch(prompt); m != nil {
		nums, _ := game24.ParsePuzzle(m[1])
		ans := game24.Solve(nums)
		if ans == "" || !rollAnswer() {
			ans = strings.ReplaceAll(m[1], " ", " + ")
		}
		if strings.HasPrefix(m[2], "Steps") {
			return "(steps omitted)\nAnswer: " + ans + " = 24"
		}
		return " " + ans + " = 24"
	}
	return "I do not understand."
}

func chance(prompt string, sample int, salt string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%s", prompt, sample, salt)
	return float64(h.Sum64()%10000) / 10000
}

func solvable(numbers string) bool {
	st := strings.Join(strings.Fields(numbers), " ")
	r, err := game24.Evaluator().Evaluate(context.Background(), []string{st})
	return err == nil && r[0].Value > 0
}

// propose lists up to 8 steps: legal ones, those keeping 24 reachable
// first; each line is replaced by a wrong step when the skill roll fails.
func propose(left string, roll func(string) bool) string {
	state := strings.Join(strings.Fields(left), " ")
	ths, err := game24.Proposer().Generate(context.Background(), state)
	if err != nil {
		return ""
	}
	var good, rest []string
	for _, t := range ths {
		if solvable(strings.TrimSpace(t.Text[strings.Index(t.Text, "left:")+5 : len(t.Text)-1])) {
			good = append(good, t.Text)
		} else {
			rest = append(rest, t.Text)
		}
	}
	all := append(good, rest...)
	var lines []string
	for i, s := range all {
		if i >= 8 {
			break
		}
		if !roll(fmt.Sprint("step", i)) {
			s = "1 + 1 = 3 (left: 3)" // wrong arithmetic: the checker must drop it
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

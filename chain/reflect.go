package chain

import (
	"context"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

// Reflection generates an output, asks the model whether the output meets the
// assignment, and if not, retries with the critique. Models often "know" they
// missed an instruction once asked to look; they just do not look back
// unprompted.
type Reflection struct {
	Model      llm.Model
	Assignment string // what the output must do, shown in both prompts
	MaxRounds  int    // generations at most; default 3
	Request    llm.Request
	// Critic, when set, replaces the model critique (for example a program
	// that checks the output); it returns ok and the reasons.
	Critic func(ctx context.Context, output string) (bool, string, error)
}

// Critique is one round's verdict.
type Critique struct {
	Round   int    `json:"round"`
	Output  string `json:"output"`
	OK      bool   `json:"ok"`
	Reasons string `json:"reasons"`
}

// Reflected is the result: the last output, whether it passed, and why.
type Reflected struct {
	Output    string     `json:"output"`
	OK        bool       `json:"ok"`
	Rounds    int        `json:"rounds"`
	Critiques []Critique `json:"critiques"`
	Usage     llm.Usage  `json:"usage"`
}

const critiquePrompt = `Assignment:
%s

Output to check:
<<<
%s
>>>

Does the output fully meet the assignment? Answer YES or NO on the first line, then give your reasons.`

const revisePrompt = `Assignment:
%s

Input:
%s

Your previous output:
<<<
%s
>>>

A reviewer found these problems:
%s

Write an improved output that fully meets the assignment. Reply with the output only.`

// Run generates for input and reflects until the output passes or MaxRounds
// generations have been made.
func (r *Reflection) Run(ctx context.Context, input string) (*Reflected, error) {
	ctx, span := trace.Start(ctx, trace.KindChain, "reflection")
	res, err := r.run(ctx, input)
	if res != nil {
		span.Set("rounds", res.Rounds)
		span.Set("ok", res.OK)
	}
	span.Finish(err)
	return res, err
}

func (r *Reflection) run(ctx context.Context, input string) (*Reflected, error) {
	rounds := r.MaxRounds
	if rounds <= 0 {
		rounds = 3
	}
	res := &Reflected{}
	prompt := fmt.Sprintf("Assignment:\n%s\n\nInput:\n%s\n\nReply with the output only.", r.Assignment, input)
	for round := 1; round <= rounds; round++ {
		out, err := r.ask(ctx, prompt, res)
		if err != nil {
			return res, fmt.Errorf("chain: reflection round %d: %w", round, err)
		}
		res.Output, res.Rounds = out, round
		ok, reasons, err := r.critique(ctx, out, res)
		if err != nil {
			return res, fmt.Errorf("chain: reflection critique %d: %w", round, err)
		}
		res.Critiques = append(res.Critiques, Critique{Round: round, Output: out, OK: ok, Reasons: reasons})
		if ok {
			res.OK = true
			return res, nil
		}
		prompt = fmt.Sprintf(revisePrompt, r.Assignment, input, out, reasons)
	}
	return res, nil
}

func (r *Reflection) ask(ctx context.Context, prompt string, res *Reflected) (string, error) {
	req := r.Request
	req.Messages = []llm.Message{llm.User(prompt)}
	resp, err := llm.Generate(ctx, r.Model, req)
	if err != nil {
		return "", err
	}
	res.Usage = res.Usage.Add(resp.Usage)
	return strings.TrimSpace(resp.Text()), nil
}

func (r *Reflection) critique(ctx context.Context, output string, res *Reflected) (bool, string, error) {
	if r.Critic != nil {
		return r.Critic(ctx, output)
	}
	verdict, err := r.ask(ctx, fmt.Sprintf(critiquePrompt, r.Assignment, output), res)
	if err != nil {
		return false, "", err
	}
	ok, reasons := parseVerdict(verdict)
	return ok, reasons, nil
}

// parseVerdict reads a YES/NO first word; anything that is not a clear yes
// counts as no, so an evasive critic never passes a bad output.
func parseVerdict(s string) (bool, string) {
	s = strings.TrimSpace(s)
	first, rest, _ := strings.Cut(s, "\n")
	word := strings.ToLower(strings.Trim(strings.Fields(first + " x")[0], ".,:;!*"))
	reasons := strings.TrimSpace(rest)
	if reasons == "" {
		reasons = strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(first, "*"), strings.Fields(first + " x")[0]))
	}
	return word == "yes", reasons
}

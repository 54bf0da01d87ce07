package tot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/internal/par"
	"github.com/ponder-go/ponder/llm"
)

// Sample generates K independent continuations of a state (the ToT paper's
// "sample" mode, for open-ended steps like paragraphs). The prompt template
// sees {{.state}} plus Vars.
type Sample struct {
	Model   llm.Model
	Prompt  *chain.Template
	Vars    map[string]any
	K       int // default 5
	Request llm.Request
	// Parse turns an output into a thought; default: the state with the
	// output appended as a new line. Return false to drop the output.
	Parse func(state, output string) (Thought, bool)
}

// Generate implements Generator with one request for K samples.
func (s *Sample) Generate(ctx context.Context, state string) ([]Thought, error) {
	prompt, err := render(s.Prompt, s.Vars, state)
	if err != nil {
		return nil, err
	}
	req := s.Request
	req.Messages = []llm.Message{llm.User(prompt)}
	req.N = def(s.K, 5)
	if req.Temperature == nil {
		req.Temperature = llm.Temp(0.7)
	}
	resp, err := Call(ctx, s.Model, req)
	if err != nil {
		return nil, err
	}
	parse := s.Parse
	if parse == nil {
		parse = func(state, out string) (Thought, bool) {
			out = strings.TrimSpace(out)
			return Thought{State: appendLine(state, out), Text: out}, out != ""
		}
	}
	var out []Thought
	for _, c := range resp.Choices {
		if th, ok := parse(state, c.Text); ok {
			th.Prompt, th.Output = prompt, c.Text
			out = append(out, th)
		}
	}
	return out, nil
}

// Propose asks once for several next steps and parses them (the paper's
// "propose" mode, for constrained steps like equations). The default parser
// takes each non-empty line as a step appended to the state.
type Propose struct {
	Model   llm.Model
	Prompt  *chain.Template
	Vars    map[string]any
	Request llm.Request
	Parse   func(state, output string) []Thought
	// Max caps the thoughts kept (0: all).
	Max int
}

// Generate implements Generator.
func (p *Propose) Generate(ctx context.Context, state string) ([]Thought, error) {
	prompt, err := render(p.Prompt, p.Vars, state)
	if err != nil {
		return nil, err
	}
	req := p.Request
	req.Messages = []llm.Message{llm.User(prompt)}
	if req.Temperature == nil {
		req.Temperature = llm.Temp(0)
	}
	resp, err := Call(ctx, p.Model, req)
	if err != nil {
		return nil, err
	}
	parse := p.Parse
	if parse == nil {
		parse = func(state, out string) []Thought {
			var ts []Thought
			for _, l := range strings.Split(out, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					ts = append(ts, Thought{State: appendLine(state, l), Text: l})
				}
			}
			return ts
		}
	}
	ts := parse(state, resp.Text())
	if p.Max > 0 && len(ts) > p.Max {
		ts = ts[:p.Max]
	}
	for i := range ts {
		ts[i].Prompt, ts[i].Output = prompt, resp.Text()
	}
	return ts, nil
}

// DefaultScores map a value verdict to a score, as in the ToT paper.
var DefaultScores = map[string]float64{"sure": 20, "likely": 1, "impossible": 0.001}

// Value asks the model to rate each state N times and averages the scores
// of the verdict words (DefaultScores) found in the last line of each reply.
type Value struct {
	Model   llm.Model
	Prompt  *chain.Template
	Vars    map[string]any
	N       int // samples per state (default 3)
	Scores  map[string]float64
	Request llm.Request
	// Workers bounds concurrent states (default: all at once).
	Workers int
}

// Evaluate implements Evaluator; states are rated concurrently.
func (v *Value) Evaluate(ctx context.Context, states []string) ([]Evaluation, error) {
	scores := v.Scores
	if scores == nil {
		scores = DefaultScores
	}
	out := make([]Evaluation, len(states))
	err := par.Do(ctx, len(states), v.Workers, func(ctx context.Context, i int) error {
		prompt, err := render(v.Prompt, v.Vars, states[i])
		if err != nil {
			return err
		}
		req := v.Request
		req.Messages = []llm.Message{llm.User(prompt)}
		req.N = def(v.N, 3)
		if req.Temperature == nil {
			req.Temperature = llm.Temp(0.7)
		}
		resp, err := Call(ctx, v.Model, req)
		if err != nil {
			return err
		}
		e := Evaluation{Prompt: prompt}
		var outs []string
		for _, c := range resp.Choices {
			s := verdict(c.Text, scores)
			e.Values = append(e.Values, s)
			e.Value += s
			outs = append(outs, c.Text)
		}
		if len(e.Values) > 0 {
			e.Value /= float64(len(e.Values))
		}
		e.Output = strings.Join(outs, "\n---\n")
		out[i] = e
		return nil
	})
	return out, err
}

// negated maps a default verdict word to what its negation means ("not
// sure" is uncertain, "not likely" and "unlikely" rule it out).
var negated = map[string]string{"sure": "likely", "likely": "impossible", "impossible": "likely"}

// verdict scores the last verdict word of the last non-empty line (0 if
// none). Words match whole ("unlikely" is not "likely"); a verdict right
// after a negation ("not sure", "isn't likely", "never") counts as its
// negation for the default words, and is skipped for other score maps.
func verdict(text string, scores map[string]float64) float64 {
	line, _ := chain.FinalLine(text)
	words := strings.FieldsFunc(strings.ToLower(chain.CleanLine(line)), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
	for i := len(words) - 1; i >= 0; i-- {
		w := words[i]
		neg := w == "unlikely" || i > 0 && isNegation(words[i-1]) || i > 1 && isNegation(words[i-2]) && words[i-1] == "very"
		if w == "unlikely" {
			w = "likely"
		}
		s, ok := scores[w]
		if !ok {
			continue
		}
		if !neg {
			return s
		}
		if alt, ok := negated[w]; ok {
			if s, ok := scores[alt]; ok {
				return s
			}
		}
	}
	return 0
}

func isNegation(w string) bool {
	switch w {
	case "not", "no", "never", "hardly", "isn't", "isnt", "aren't", "wasn't", "won't", "cannot", "can't", "don't", "doesn't":
		return true
	}
	return false
}

var voteRE = regexp.MustCompile(`(?i)best choice is\s*:?\s*\(?(\d+)`)

// Vote shows the model all sibling states and asks N times which is most
// promising; a state's value is its share of the votes.
type Vote struct {
	Model llm.Model
	// Prompt sees {{.choices}} ("Choice 1:\n...\n\nChoice 2:\n...") plus Vars,
	// and must ask for a final line "The best choice is N".
	Prompt  *chain.Template
	Vars    map[string]any
	N       int // votes (default 5)
	Request llm.Request
}

// Evaluate implements Evaluator.
func (v *Vote) Evaluate(ctx context.Context, states []string) ([]Evaluation, error) {
	var b strings.Builder
	for i, s := range states {
		fmt.Fprintf(&b, "Choice %d:\n%s\n\n", i+1, s)
	}
	vars := map[string]any{}
	for k, x := range v.Vars {
		vars[k] = x
	}
	vars["choices"] = strings.TrimSpace(b.String())
	prompt, err := v.Prompt.Render(vars)
	if err != nil {
		return nil, err
	}
	req := v.Request
	req.Messages = []llm.Message{llm.User(prompt)}
	req.N = def(v.N, 5)
	if req.Temperature == nil {
		req.Temperature = llm.Temp(0.7)
	}
	resp, err := Call(ctx, v.Model, req)
	if err != nil {
		return nil, err
	}
	out := make([]Evaluation, len(states))
	var outs []string
	for _, c := range resp.Choices {
		outs = append(outs, c.Text)
		if m := voteRE.FindAllStringSubmatch(c.Text, -1); len(m) > 0 {
			k, _ := strconv.Atoi(m[len(m)-1][1])
			if k >= 1 && k <= len(states) {
				out[k-1].Votes++
			}
		}
	}
	for i := range out {
		out[i].Value = float64(out[i].Votes) / float64(max(len(resp.Choices), 1))
		out[i].Prompt, out[i].Output = prompt, strings.Join(outs, "\n---\n")
	}
	return out, nil
}

func render(t *chain.Template, vars map[string]any, state string) (string, error) {
	if t == nil {
		return "", fmt.Errorf("tot: model-backed step has no Prompt template")
	}
	all := map[string]any{}
	for k, v := range vars {
		all[k] = v
	}
	all["state"] = state
	return t.Render(all)
}

func appendLine(state, line string) string {
	if state == "" {
		return line
	}
	return state + "\n" + line
}

func def(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

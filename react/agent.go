// Package react implements ReAct agents (Yao et al. 2022): the model
// alternates Thought, Action and Observation, calling tools to look things up
// and to calculate, until it gives a Final Answer.
//
// Text mode (the default) works with any completion model, including small
// local ones: the prompt lists the tools and the format, the agent stops
// generation at "Observation:", runs the tool and appends the observation.
// Native mode drives the same loop through function calling (tools and
// tool_calls messages) for backends that support it.
package react

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ponder-go/ponder/internal/clip"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/trace"
)

// Agent answers questions with a model and tools.
type Agent struct {
	Model llm.Model
	Tools *tools.Registry
	// Instructions open the prompt (default DefaultInstructions).
	Instructions string
	// Examples are worked examples in the text format (default
	// DefaultExample); set to an empty non-nil slice for none.
	Examples []string
	// Native uses function calling instead of the text format.
	Native bool
	// Constrained sends each text-mode step with a constraint (the local
	// backend enforces it token by token): "Thought: <line>" then either
	// "Action: <a registered tool>[<argument>]" or "Final Answer: <line>",
	// where the argument may only use words and exact numbers that appear
	// in the prompt, the question or earlier observations. Small models
	// then cannot misspell a tool or invent the digits they should copy.
	Constrained bool
	// Bare sends text-mode steps with no system prompt: only "Question: ..."
	// and the scratchpad, the format small models are trained on.
	Bare bool
	// Vocabulary adds words a constrained step may use besides those of
	// the prompt and observations (the phrasing a small model was trained
	// on). With it set, thoughts and final answers are grounded too.
	Vocabulary string

	MaxSteps         int           // model turns at most (default 10)
	MaxToolCalls     int           // tool calls at most (default 20)
	MaxTokens        int           // total tokens at most (0: no limit)
	MaxFormatRetries int           // consecutive unreadable replies tolerated (default 2)
	Timeout          time.Duration // for the whole run (0: the context's)
	StepTokens       int           // max tokens per model turn (default 400)
	Temperature      *float64      // default greedy (0)
	// Seed makes sampled runs reproducible where the backend honours
	// seeds: step i is sent with seed Seed*1000+i.
	Seed *int64

	// OnStep, when set, receives each step as soon as it is complete.
	OnStep func(Step)
	// CheckAnswer, when set, vets the final answer against the run's
	// steps (Grounded is one check); an answer it rejects is replaced by
	// Refusal and the result marked Refused. Small local models need it:
	// better an honest "I could not answer" than a confident wrong number.
	CheckAnswer func(question, answer string, steps []Step) bool
	// Refusal is the answer given when CheckAnswer rejects one (default
	// DefaultRefusal).
	Refusal string
	// Rewrite, when set, turns the question into the one the model is
	// asked (a small model's trained wording of it: synth.Normalizer); false
	// refuses at once with Refusal, without running the model. The result
	// keeps the question as asked; Result.Asked holds the rewritten one.
	Rewrite func(question string) (string, bool)
	// Finish, when set, rewrites an accepted final answer: the question as
	// asked, the answer and the steps that led to it (the bundled model's
	// answers are rounded as the calculator's result allows, and a
	// comparison is answered with the place that wins).
	Finish func(question, answer string, steps []Step) string
	// Decompose, when set, splits a question the model cannot answer in
	// one run into questions it can (a comparison of two densities into
	// each density), which run one after another as their own runs; join
	// makes the answer from their results, or false to refuse. A part that
	// is refused refuses the whole. ok false leaves the question to the
	// usual path.
	Decompose func(question string) (parts []string, join func(parts []*Result) (string, bool), ok bool)
}

// Step is one turn of the loop.
type Step struct {
	Index       int           `json:"index"`
	Thought     string        `json:"thought,omitempty"`
	Action      string        `json:"action,omitempty"`
	Input       string        `json:"input,omitempty"`
	Observation string        `json:"observation,omitempty"`
	Final       bool          `json:"final,omitempty"`
	Answer      string        `json:"answer,omitempty"`
	Raw         string        `json:"raw"`                    // the model's reply as received
	FormatError bool          `json:"format_error,omitempty"` // the reply could not be read
	ToolError   string        `json:"tool_error,omitempty"`   // the tool failed (also in Observation)
	Start       time.Time     `json:"start"`
	ModelTime   time.Duration `json:"model_time"`
	ToolTime    time.Duration `json:"tool_time"`
	Tokens      int           `json:"tokens"`
	// Compacted is set when the step's prompt had older observations
	// shortened to fit the model's context (CompactSteps).
	Compacted bool `json:"compacted,omitempty"`
}

// Result is what a run produced: the answer, every step and the trace.
type Result struct {
	Question string        `json:"question"`
	Asked    string        `json:"asked,omitempty"` // the question as the model got it, when Rewrite changed it
	Answer   string        `json:"answer"`
	Steps    []Step        `json:"steps"`
	Usage    llm.Usage     `json:"usage"`
	Duration time.Duration `json:"duration"`
	// Refused is set when the agent's own answer failed CheckAnswer (or the
	// run ended without one) and Answer is the refusal.
	Refused bool `json:"refused,omitempty"`
	// Stopped says why the run ended without an answer ("" when answered).
	Stopped string        `json:"stopped,omitempty"`
	Trace   *trace.Tracer `json:"-"`
}

var resultMarker = regexp.MustCompile(`\[\d+\] `)

// DefaultRefusal answers a question the agent could not answer.
const DefaultRefusal = "I could not answer that."

// repair gives an answer that failed CheckAnswer one more chance: Finish
// may mend it from the run's own steps (the bundled profile takes a
// capital the model miscopied from the passage it found), and the mended
// answer must pass CheckAnswer in turn.
func (a *Agent) repair(question, asked string, res *Result) bool {
	if a.Finish == nil || res.Answer == "" {
		return false
	}
	fixed := a.Finish(question, res.Answer, res.Steps)
	if fixed == res.Answer || !a.CheckAnswer(asked, fixed, res.Steps) {
		return false
	}
	res.Answer = fixed
	return true
}

// Grounded is a CheckAnswer for a small model: the answer must not be
// degenerate repetition, and
//   - when it states numbers, one of them must be a number an observation
//     shows (as written, or rounded or truncated from it: "about 53.9" from
//     53.911519), so no number is made up;
//   - when it states none, every capitalised word after the first must come
//     from the question or an observation (a place named, not invented).
func Grounded(question, answer string, steps []Step) bool {
	words := strings.Fields(strings.ToLower(answer))
	if len(words) == 0 || repeats(words) {
		return false
	}
	if !tools.WrittenNumber.MatchString(answer) {
		// A figure named without a number is no answer ("The population
		// of Michigan is You.").
		for _, w := range words {
			if figureWords[strings.Trim(w, ".,;:!?'\"()")] {
				return false
			}
		}
		source := map[string]bool{}
		for _, text := range append([]string{question}, observations(steps)...) {
			for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
				source[strings.TrimSuffix(w, "'s")] = true
			}
		}
		for i, w := range strings.Fields(answer) {
			w = strings.TrimSuffix(strings.Trim(w, ".,;:!?'\"()"), "'s")
			if i == 0 || w == "" || !unicode.IsUpper([]rune(w)[0]) {
				continue
			}
			if !source[w] { // a whole word ("You" is not in "Young")
				return false
			}
		}
		return true
	}
	var obs []string
	for _, s := range steps {
		if s.Observation != "" && !s.FormatError {
			obs = append(obs, strings.ReplaceAll(s.Observation, ",", ""))
		}
	}
	if len(obs) == 0 {
		return false
	}
	for _, n := range tools.WrittenNumber.FindAllString(answer, -1) {
		n = strings.ReplaceAll(n, ",", "")
		if len(strings.TrimLeft(strings.Split(n, ".")[0], "0")) == 0 && !strings.Contains(n, ".") {
			continue // a lone 0 proves nothing
		}
		for _, o := range obs {
			for _, m := range tools.WrittenNumber.FindAllString(o, -1) {
				if m == n || strings.HasPrefix(m, n) && strings.Contains(m, ".") && strings.Contains(n, ".") || roundsTo(m, n) {
					return true
				}
			}
		}
	}
	return false
}

// figureWords name a figure: an answer that uses one states a number.
var figureWords = map[string]bool{"population": true, "area": true, "density": true, "people": true, "miles": true, "times": true, "residents": true}

// repeats reports degenerate repetition: a word or a pair of words said
// three times running ("I I I", "is You is You is You").
func repeats(words []string) bool {
	for n := 1; n <= 2; n++ {
		for i := 3*n - 1; i < len(words); i++ {
			same := true
			for k := 0; k < n && same; k++ {
				same = words[i-k] == words[i-k-n] && words[i-k] == words[i-k-2*n]
			}
			if same {
				return true
			}
		}
	}
	return false
}

func observations(steps []Step) []string {
	out := make([]string, 0, len(steps))
	for _, s := range steps {
		out = append(out, s.Observation)
	}
	return out
}

// roundsTo reports whether the decimal m rounds to n at n's precision.
func roundsTo(m, n string) bool {
	mf, err1 := strconv.ParseFloat(m, 64)
	nf, err2 := strconv.ParseFloat(n, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	dec := 0
	if i := strings.IndexByte(n, '.'); i >= 0 {
		dec = len(n) - i - 1
	}
	p := math.Pow(10, float64(dec))
	return math.Abs(math.Round(mf*p)/p-nf) < 0.5/p && math.Abs(mf-nf) <= 0.5/p+1e-9
}

// Limit errors: Run returns them (wrapped) with the partial Result.
var (
	ErrMaxSteps     = errors.New("step limit reached without a final answer")
	ErrMaxToolCalls = errors.New("tool-call limit reached")
	ErrTokenBudget  = errors.New("token budget exhausted")
	ErrLoop         = errors.New("the model keeps repeating the same action")
	ErrBadFormat    = errors.New("the model's replies could not be read")
)

// Run answers question. It always returns a Result (with the steps so far);
// the error says why there is no answer: a limit (ErrMaxSteps, ...), a model
// error (llm.Err*), or the context.
func (a *Agent) Run(ctx context.Context, question string) (*Result, error) {
	if a.Model == nil || a.Tools == nil {
		return nil, errors.New("react: agent needs a Model and Tools")
	}
	tr := trace.FromContext(ctx)
	if tr == nil {
		tr = trace.New()
		ctx = trace.WithTracer(ctx, tr)
	}
	if a.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}
	if a.Decompose != nil {
		if parts, join, ok := a.Decompose(question); ok {
			return a.runParts(ctx, question, parts, join)
		}
	}
	ctx, span := trace.Start(ctx, trace.KindAgent, "react")
	span.Set("question", question)
	r := &run{Agent: a, res: &Result{Question: question, Trace: tr}, start: time.Now(), seen: map[string]int{}}
	asked := question
	if a.Rewrite != nil {
		q, ok := a.Rewrite(question)
		if !ok {
			a.refuse(r.res)
			r.res.Duration = time.Since(r.start)
			span.Set("refused", "the question is not one the model can answer")
			span.Set("answer", r.res.Answer)
			span.Finish(nil)
			return r.res, nil
		}
		if q != question {
			span.Set("asked", q)
			r.res.Asked, asked = q, q
		}
	}
	r.asked = asked
	var err error
	if a.Native {
		err = r.native(ctx)
	} else {
		err = r.text(ctx)
	}
	r.res.Duration = time.Since(r.start)
	if err != nil {
		r.res.Stopped = err.Error()
	}
	if a.CheckAnswer != nil && !a.CheckAnswer(asked, r.res.Answer, r.res.Steps) && !a.repair(question, asked, r.res) {
		a.refuse(r.res)
		if err != nil && ctx.Err() == nil {
			err = nil // the refusal is the answer: no step limit error
			r.res.Stopped = ""
		}
	} else if a.Finish != nil && err == nil && r.res.Answer != "" {
		r.res.Answer = a.Finish(question, r.res.Answer, r.res.Steps)
	}
	span.Set("answer", r.res.Answer)
	span.Set("tokens", r.res.Usage.TotalTokens)
	span.Finish(err)
	return r.res, err
}

// refuse makes res the agent's refusal.
func (a *Agent) refuse(res *Result) {
	res.Answer, res.Refused = cmp.Or(a.Refusal, DefaultRefusal), true
}

// runParts answers question from the runs of its parts (see Decompose).
func (a *Agent) runParts(ctx context.Context, question string, parts []string, join func([]*Result) (string, bool)) (*Result, error) {
	ctx, span := trace.Start(ctx, trace.KindAgent, "react")
	span.Set("question", question)
	span.Set("parts", strings.Join(parts, " | "))
	start := time.Now()
	res := &Result{Question: question, Asked: strings.Join(parts, " "), Trace: trace.FromContext(ctx)}
	part := *a
	part.Decompose, part.Timeout = nil, 0 // ctx already carries the deadline
	var results []*Result
	finish := func(err error) (*Result, error) {
		res.Duration = time.Since(start)
		if err != nil {
			res.Stopped = err.Error()
		}
		span.Set("answer", res.Answer)
		span.Finish(err)
		return res, err
	}
	for _, p := range parts {
		r, err := part.Run(ctx, p)
		if r != nil {
			for _, st := range r.Steps {
				st.Index = len(res.Steps) + 1
				res.Steps = append(res.Steps, st)
			}
			res.Usage = res.Usage.Add(r.Usage)
		}
		if err != nil {
			return finish(err)
		}
		if r.Refused || r.Answer == "" {
			a.refuse(res)
			return finish(nil)
		}
		results = append(results, r)
	}
	if answer, ok := join(results); ok {
		res.Answer = answer
	} else {
		a.refuse(res)
	}
	return finish(nil)
}

type run struct {
	*Agent
	res        *Result
	start      time.Time
	toolCalls  int
	badFormats int
	seen       map[string]int // action+input -> times run
	asked      string         // the question as the model is asked it
}

func (a *Agent) maxSteps() int   { return def(a.MaxSteps, 10) }
func (a *Agent) maxTools() int   { return def(a.MaxToolCalls, 20) }
func (a *Agent) maxFormats() int { return def(a.MaxFormatRetries, 2) }

func def(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func (a *Agent) request(msgs []llm.Message) llm.Request {
	t := a.Temperature
	if t == nil {
		t = llm.Temp(0)
	}
	req := llm.Request{Messages: msgs, MaxTokens: def(a.StepTokens, 400), Temperature: t}
	if a.Native {
		req.Tools = a.Tools.Specs()
	} else {
		req.Stop = []string{"\nObservation:", "Observation:"}
	}
	return req
}

// generate makes one model call within the budgets.
func (r *run) generate(ctx context.Context, req llm.Request, st *Step) (*llm.Response, error) {
	if r.MaxTokens > 0 {
		left := r.MaxTokens - r.res.Usage.TotalTokens
		if left <= 0 {
			return nil, fmt.Errorf("react: %w (%d tokens used of %d)", ErrTokenBudget, r.res.Usage.TotalTokens, r.MaxTokens)
		}
		req.MaxTokens = min(req.MaxTokens, left)
	}
	t0 := time.Now()
	resp, err := llm.Generate(ctx, r.Model, req)
	st.ModelTime = time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("react: step %d: %w", st.Index, err)
	}
	if len(resp.Choices) == 0 {
		return nil, fmt.Errorf("react: step %d: %w: the model returned no choices", st.Index, llm.ErrBadOutput)
	}
	st.Tokens = resp.Usage.TotalTokens
	r.res.Usage = r.res.Usage.Add(resp.Usage)
	return resp, nil
}

// act runs a tool for the step and fills the observation; it enforces the
// tool-call limit and catches repeated actions.
func (r *run) act(ctx context.Context, st *Step) error {
	key := strings.ToLower(st.Action) + "\x00" + strings.TrimSpace(st.Input)
	if n := r.seen[key]; n > 0 {
		r.seen[key]++
		if n >= 2 {
			st.Observation = "Error: this exact action was already run " + fmt.Sprint(n) + " times."
			return fmt.Errorf("react: %w: %s[%s]", ErrLoop, st.Action, clip.String(st.Input, 60))
		}
		st.Observation = "You already ran this exact action; its result is in an earlier Observation. Use it, or do something different."
		return nil
	}
	if r.toolCalls >= r.maxTools() {
		return fmt.Errorf("react: %w (%d)", ErrMaxToolCalls, r.toolCalls)
	}
	r.toolCalls++
	r.seen[key]++
	t0 := time.Now()
	obs, err := r.Tools.Call(ctx, st.Action, st.Input)
	st.ToolTime = time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("react: tool %s: %w", st.Action, ctx.Err())
		}
		st.ToolError = err.Error()
		obs = "Error: " + strings.TrimPrefix(err.Error(), "calculator: ")
	}
	st.Observation = strings.TrimSpace(obs)
	return nil
}

func (r *run) emit(ctx context.Context, st Step) {
	_, span := trace.Start(ctx, trace.KindStep, fmt.Sprintf("step %d", st.Index))
	span.Set("thought", st.Thought)
	if st.Action != "" {
		span.Set("input", st.Action+"["+st.Input+"]")
		span.Set("output", st.Observation)
	}
	if st.Final {
		span.Set("answer", st.Answer)
	}
	span.Set("tokens", st.Tokens)
	span.Finish(nil)
	r.res.Steps = append(r.res.Steps, st)
	if r.OnStep != nil {
		r.OnStep(st)
	}
}

// text runs the loop in the text format.
func (r *run) text(ctx context.Context) error {
	examples := r.Examples
	if examples == nil {
		examples = []string{DefaultExample}
	}
	instr := r.Instructions
	if instr == "" {
		instr = DefaultInstructions
	}
	system := textSystemPrompt(instr, r.Tools, examples)
	for i := 1; i <= r.maxSteps(); i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("react: %w", err)
		}
		st := Step{Index: i, Start: time.Now()}
		stepRequest := func(steps []Step) llm.Request {
			user := "Question: " + r.asked + "\n" + Scratchpad(steps)
			msgs := []llm.Message{llm.System(system), llm.User(user)}
			context := system + "\n" + user
			if r.Bare {
				msgs, context = msgs[1:], user
			}
			req := r.request(msgs)
			if r.Seed != nil {
				req.Seed = llm.Seed(*r.Seed*1000 + int64(i))
			}
			if r.Constrained {
				// Result markers ("[1] ") number passages; they are not data
				// an argument or answer may copy.
				ground := resultMarker.ReplaceAllString(context, "")
				req.Constraint = StepConstraint(r.Tools, ground+"\n"+r.Vocabulary, r.Vocabulary != "")
			}
			return req
		}
		resp, err := r.generate(ctx, stepRequest(r.res.Steps), &st)
		// A transcript that outgrows the model's context is compacted:
		// older observations shortened to their first sentence, then all
		// but the last. The result keeps every step whole.
		for keep := min(2, len(r.res.Steps)-1); keep >= 0 && errors.Is(err, llm.ErrContextLength); keep-- {
			st.Compacted = true
			resp, err = r.generate(ctx, stepRequest(CompactSteps(r.res.Steps, keep)), &st)
		}
		if err != nil {
			if st.Compacted && errors.Is(err, llm.ErrContextLength) {
				return fmt.Errorf("react: the run outgrew the model's context even with older observations shortened (%d steps): %w", len(r.res.Steps), err)
			}
			return err
		}
		st.Raw = resp.Choices[0].Text
		p, perr := ParseStep(st.Raw)
		st.Thought = p.Thought
		switch {
		case perr != nil:
			st.FormatError = true
			st.Observation = "Error: " + perr.Error() + ". " + FormatReminder
			r.badFormats++
			r.emit(ctx, st)
			if r.badFormats > r.maxFormats() {
				return fmt.Errorf("react: %w: %d in a row; last: %v", ErrBadFormat, r.badFormats, perr)
			}
			continue
		case p.Final:
			st.Final, st.Answer = true, p.Answer
			r.res.Answer = p.Answer
			r.emit(ctx, st)
			return nil
		}
		r.badFormats = 0
		st.Action, st.Input = p.Action, p.Input
		err = r.act(ctx, &st)
		r.emit(ctx, st)
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("react: %w (%d)", ErrMaxSteps, r.maxSteps())
}

// native runs the loop with function calling.
func (r *run) native(ctx context.Context) error {
	instr := r.Instructions
	if instr == "" {
		instr = DefaultInstructions
	}
	msgs := []llm.Message{llm.System(nativeSystemPrompt(instr)), llm.User(r.asked)}
	idx := 0
	for turn := 1; turn <= r.maxSteps(); turn++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("react: %w", err)
		}
		st := Step{Index: idx + 1, Start: time.Now()}
		resp, err := r.generate(ctx, r.request(msgs), &st)
		if err != nil {
			return err
		}
		ch := resp.Choices[0]
		st.Raw = ch.Text
		thought := strings.TrimSpace(ch.Text)
		if len(ch.ToolCalls) == 0 {
			answer := strings.TrimSpace(thought)
			if i := inlineFinal.FindStringIndex(answer); i != nil {
				answer = strings.TrimSpace(answer[i[1]:])
			}
			if answer == "" {
				idx++
				st.FormatError = true
				st.Observation = "Error: empty reply. Call a tool or give the final answer."
				r.badFormats++
				r.emit(ctx, st)
				if r.badFormats > r.maxFormats() {
					return fmt.Errorf("react: %w: %d empty replies", ErrBadFormat, r.badFormats)
				}
				msgs = append(msgs, llm.Assistant(""), llm.User(st.Observation))
				continue
			}
			idx++
			st.Final, st.Answer = true, answer
			r.res.Answer = answer
			r.emit(ctx, st)
			return nil
		}
		r.badFormats = 0
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: ch.Text, ToolCalls: ch.ToolCalls})
		for j, tc := range ch.ToolCalls {
			idx++
			cst := st
			cst.Index = idx
			if j > 0 {
				cst.Tokens, cst.ModelTime, thought = 0, 0, ""
			}
			cst.Thought = thought
			cst.Action, cst.Input = tc.Name, tools.InputFromArgs(tc.Arguments)
			err := r.act(ctx, &cst)
			r.emit(ctx, cst)
			msgs = append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: tc.ID, Name: tc.Name, Content: cst.Observation})
			if err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("react: %w (%d)", ErrMaxSteps, r.maxSteps())
}

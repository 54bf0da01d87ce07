package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/react/natural"
	"github.com/ponder-go/ponder/react/synth"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/tools/corpus"
)

func init() {
	register("eval", "evaluate the agent: 'ponder eval react' on held-out synthetic places and the real states", evalCmd)
}

type method struct {
	name string
	run  func(ctx context.Context, s evalSet, t synth.Task) (string, error)
}

type evalSet struct {
	name  string
	tools *tools.Registry
	tasks []synth.Task
}

func evalSets(n int, seed uint64) ([]evalSet, error) {
	w, err := synth.NewWorld(seed, 500)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range w.Places {
		names = append(names, p.Name)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	syn := evalSet{name: "held-out synthetic places", tools: w.Tools}
	for len(syn.tasks) < n {
		syn.tasks = append(syn.tasks, synth.NewTask(r, names, w.Facts))
	}
	reg, err := synth.StatesTools()
	if err != nil {
		return nil, err
	}
	states, err := corpus.States()
	if err != nil {
		return nil, err
	}
	byName := map[string]corpus.State{}
	var snames []string
	for _, s := range states {
		byName[s.Name] = s
		snames = append(snames, s.Name)
	}
	real := evalSet{name: "real US states (50 + DC)", tools: reg}
	for len(real.tasks) < n {
		real.tasks = append(real.tasks, synth.NewTask(r, snames, func(s string) corpus.State { return byName[s] }))
	}
	return []evalSet{syn, real}, nil
}

func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"react", "-h"}
	}
	if len(args) == 0 || args[0] != "react" {
		fmt.Fprintln(stderr, "usage: ponder eval react [-backend auto|openai|local] [-model M] [-tiny] [-constrained=true|false|both] [-vote 5] [-questions 100] [-natural 240] [-read=false] [-v]")
		return errUsage
	}
	fs := flag.NewFlagSet("eval react", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cacheDir := cacheFlag(fs)
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model name or local checkpoint (default: the bundled model)")
	constrained := fs.String("constrained", "both", "true, false or both (columns for each)")
	n := fs.Int("questions", 100, "questions per set")
	fs.IntVar(n, "n", 100, "same as -questions")
	_ = fs.MarkHidden("n")
	seed := fs.Uint64("seed", 1001, "seed of the held-out world and the questions (training used 1)")
	verbose := fs.Bool("v", false, "print each failure")
	votes := fs.Int("vote", 5, "add a column: self-consistency over this many sampled constrained runs (0: none)")
	naturalN := fs.Int("natural", 240, "also run this many of the natural-question dev set (react/natural; 0: none)")
	read := fs.Bool("read", true, "with the bundled profile, read each question onto the trained wording first (synth.Normalizer); false hands the model the question as typed")
	tiny := fs.Bool("tiny", false, "run the agent the way the tiny model was trained (no system prompt, one passage per search, its vocabulary); default: on for the bundled model, so a checkpoint of 'ponder train react-tiny' needs -tiny")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	m, err := backend.Open(*be, *model)
	if err != nil {
		return err
	}
	m, closeCache, err := withCache(m, *cacheDir)
	if err != nil {
		return err
	}
	defer closeCache()
	sets, err := evalSets(*n, *seed)
	if err != nil {
		return err
	}
	bundled := backend.Bundled(*be, *model)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "tiny" {
			bundled = *tiny
		}
	})
	// newAgent is the agent every ReAct column runs (the vote runs copies).
	newAgent := func(s evalSet, con bool) *react.Agent {
		a := &react.Agent{Model: m, Tools: s.tools, Constrained: con, MaxSteps: 6, Timeout: time.Minute}
		if bundled {
			synth.AsTrained(a)
			if !*read {
				a.Rewrite, a.Decompose = nil, nil
			}
		}
		return a
	}
	agentRun := func(con bool) func(ctx context.Context, s evalSet, t synth.Task) (string, error) {
		return func(ctx context.Context, s evalSet, t synth.Task) (string, error) {
			res, err := newAgent(s, con).Run(ctx, t.Question)
			if res == nil {
				return "", err
			}
			return res.Answer, err
		}
	}
	voteRun := func(ctx context.Context, s evalSet, t synth.Task) (string, error) {
		res, err := (&react.Vote{Agent: newAgent(s, true), N: *votes}).Run(ctx, t.Question)
		if res == nil {
			return "", err
		}
		return res.Answer, err
	}
	system1 := func(ctx context.Context, s evalSet, t synth.Task) (string, error) {
		prompt := "Question: " + t.Question + "\nThought: I now know the final answer.\nFinal Answer: "
		if !bundled {
			prompt = "Answer directly, without tools or working: " + t.Question
		}
		resp, err := llm.Generate(ctx, m, llm.Request{Messages: []llm.Message{llm.User(prompt)}, MaxTokens: 40, Temperature: llm.Temp(0), Stop: []string{"\n"}})
		if err != nil {
			return "", err
		}
		return resp.Text(), nil
	}
	methods := []method{{"System 1 (no tools)", system1}}
	if *constrained != "true" {
		methods = append(methods, method{"ReAct", agentRun(false)})
	}
	if *constrained != "false" {
		methods = append(methods, method{"ReAct + constraints", agentRun(true)})
		if *votes > 1 {
			methods = append(methods, method{fmt.Sprintf("+ vote of %d", *votes), voteRun})
		}
	}
	name := *be + " " + *model
	if backend.Bundled(*be, *model) {
		name = "the bundled model"
	}
	if !*read {
		for i := range methods {
			methods[i].name += " (questions as typed)"
		}
	}
	if *n <= 0 {
		return evalNatural(ctx, *naturalN, sets[1], methods, stdout, stderr, *verbose)
	}
	fmt.Fprintf(stdout, "evaluating %s on %d questions per set\n", name, *n)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "set\t"
	for _, md := range methods {
		header += md.name + "\t"
	}
	fmt.Fprintln(tw, header)
	for _, s := range sets {
		row := s.name + "\t"
		for _, md := range methods {
			ok := 0
			t0 := time.Now()
			for _, t := range s.tasks {
				ans, err := md.run(ctx, s, t)
				if err == nil && answerHas(ans, t.Expect) {
					ok++
				} else if *verbose {
					fmt.Fprintf(stderr, "%s | %s | %q: got %q (want %q) %v\n", s.name, md.name, t.Question, ans, t.Expect, err)
				}
			}
			row += fmt.Sprintf("%.1f%% (%d/%d, %s)\t", 100*float64(ok)/float64(len(s.tasks)), ok, len(s.tasks), time.Since(t0).Round(time.Second))
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *naturalN <= 0 {
		return nil
	}
	return evalNatural(ctx, *naturalN, sets[1], methods, stdout, stderr, *verbose)
}

// answerHas reports whether answer states expect, whether or not either
// groups digits with commas (2005436 and 2,005,436 are one figure).
func answerHas(answer, expect string) bool {
	return strings.Contains(strings.ReplaceAll(answer, ",", ""), strings.ReplaceAll(expect, ",", ""))
}

// evalNatural runs the ReAct methods on the natural-question dev set and
// reports accuracy in scope, honest refusals out of scope and confidently
// wrong answers.
func evalNatural(ctx context.Context, n int, real evalSet, methods []method, stdout, stderr io.Writer, verbose bool) error {
	dev, err := natural.DevSet()
	if err != nil {
		return err
	}
	dev = dev[:min(n, len(dev))]
	in, out := 0, 0
	for _, q := range dev {
		if q.InScope() {
			in++
		} else {
			out++
		}
	}
	fmt.Fprintf(stdout, "\nnatural questions (react/natural dev set: %d in scope, %d out of scope)\n", in, out)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tright in scope\thonest refusals out of scope\tconfident-wrong (all)\tcrashes\t")
	for _, md := range methods {
		if !strings.HasPrefix(md.name, "ReAct") {
			continue
		}
		var right, refused, wrongConfident, crashes int
		t0 := time.Now()
		for _, q := range dev {
			ans, err := md.run(ctx, real, synth.Task{Question: q.Q})
			if err != nil && ans == "" {
				crashes++
				if verbose {
					fmt.Fprintf(stderr, "natural | %s | %q: error %v\n", md.name, q.Q, err)
				}
				continue
			}
			v := natural.Judge(q, ans)
			switch {
			case q.InScope() && v == natural.Right:
				right++
			case !q.InScope() && v == natural.Refused:
				refused++
			}
			if v == natural.ConfidentWrong {
				wrongConfident++
			}
			if verbose && !(q.InScope() && v == natural.Right) && !(!q.InScope() && v == natural.Refused) {
				fmt.Fprintf(stderr, "natural | %s | %s %q: %s: %q\n", md.name, q.Kind, q.Q, v, ans)
			}
		}
		pct := func(a, b int) string { return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(a)/float64(max(b, 1)), a, b) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d (%s)\t\n", md.name, pct(right, in), pct(refused, out), pct(wrongConfident, len(dev)), crashes, time.Since(t0).Round(time.Second))
	}
	return tw.Flush()
}

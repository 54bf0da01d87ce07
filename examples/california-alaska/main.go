// The flagship example: a ReAct agent answers "How many times larger is
// California's population than Alaska's?" by searching the bundled 2020
// Census facts and using the calculator, printing its reasoning as it goes.
//
//	go run ./examples/california-alaska [-q "question"] [-backend auto|openai|local] [-model M] [-native] [-trace FILE]
//
// -backend auto uses an OpenAI-compatible server when OPENAI_API_KEY or
// OPENAI_BASE_URL is set, else the bundled local model.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
	"github.com/ponder-go/ponder/trace"
)

const defaultQuestion = "How many times larger is California's population than Alaska's?"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("california-alaska", flag.ContinueOnError)
	fs.SetOutput(stderr)
	q := fs.String("q", defaultQuestion, "the question (about US states: population, area, density, sums, differences, ratios)")
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model name (default $PONDER_MODEL or the backend's)")
	native := fs.Bool("native", false, "use native function calling instead of the text format")
	traceFile := fs.String("trace", "", "write the JSON-lines trace to `FILE`")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	votes := fs.Int("vote", 0, "run the agent this many times with sampling and answer by plurality (self-consistency; 0: one greedy run)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := backend.Open(*be, *model)
	if err != nil {
		fmt.Fprintln(stderr, "california-alaska:", err)
		return 1
	}
	agent := &react.Agent{Model: m, Native: *native, Timeout: *timeout,
		OnStep: func(s react.Step) { react.PrintStep(stdout, s) }}
	if backend.Bundled(*be, *model) {
		// The bundled tiny model is run the way it was trained: no system
		// prompt, one passage per search, and every step constrained to a
		// registered tool with arguments and answers grounded in the
		// question and the observations.
		_, err = agentmodel.Configure(agent)
	} else {
		agent.Tools, err = tools.Builtin()
		agent.Constrained = backend.Resolve(*be) == "local"
	}
	if err != nil {
		fmt.Fprintln(stderr, "california-alaska:", err)
		return 1
	}
	tr := trace.New()
	defer func() {
		if *traceFile == "" {
			return
		}
		if f, ferr := os.Create(*traceFile); ferr == nil {
			_ = tr.WriteJSONL(f)
			f.Close()
		} else {
			fmt.Fprintln(stderr, "california-alaska:", ferr)
		}
	}()
	fmt.Fprintf(stdout, "Question: %s\n", *q)
	if *votes > 1 {
		v, err := (&react.Vote{Agent: agent, N: *votes}).Run(trace.WithTracer(ctx, tr), *q)
		if err != nil {
			fmt.Fprintln(stderr, "california-alaska:", err)
			return 1
		}
		for i, r := range v.Runs {
			if r != nil && r.Answer != "" && v.Errors[i] == nil {
				fmt.Fprintf(stdout, "run %d: %s\n", i+1, r.Answer)
			} else {
				fmt.Fprintf(stdout, "run %d: no answer (%v)\n", i+1, v.Errors[i])
			}
		}
		fmt.Fprintf(stdout, "\nAnswer: %s\n(%.0f%% of %d runs agree)\n", v.Answer, 100*v.Agreement, len(v.Runs))
		return 0
	}
	res, err := agent.Run(trace.WithTracer(ctx, tr), *q)
	if err != nil {
		fmt.Fprintln(stderr, "california-alaska:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nAnswer: %s\n(%d steps, %d tokens, %s)\n", res.Answer, len(res.Steps), res.Usage.TotalTokens, res.Duration.Round(time.Millisecond))
	return 0
}

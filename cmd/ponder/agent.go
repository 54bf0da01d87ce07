package main

import (
	"context"
	"fmt"
	"io"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/localmodel/agentmodel"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/trace"
)

func init() {
	register("agent", "answer with a ReAct agent that searches and calculates, printing each step live", agent)
}

func agent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cacheDir := cacheFlag(fs)
	toolList := fs.String("tools", "search,calculator", "comma-separated built-in tools")
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model name")
	native := fs.Bool("native", false, "use native function calling")
	maxSteps := fs.Int("max-steps", 10, "model turns at most")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	traceFile := fs.String("trace", "", "write the JSON-lines trace to `FILE`")
	mcpServers := mcpFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ponder agent [-tools calculator,search] [-mcp SERVER]... [-native] [-backend auto|openai|local] [-trace FILE] \"question\"")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	q := question(fs.Args())
	if q == "" {
		fs.Usage()
		return errUsage
	}
	reg, err := builtinTools(*toolList)
	if err != nil {
		return err
	}
	closeMCP, err := addMCP(ctx, reg, *mcpServers)
	if err != nil {
		return err
	}
	defer closeMCP()
	m, err := backend.Open(*be, *model)
	if err != nil {
		return err
	}
	m, closeCache, err := withCache(m, *cacheDir)
	if err != nil {
		return err
	}
	defer closeCache()
	tr := trace.New()
	a := &react.Agent{Model: m, Tools: reg, Native: *native, MaxSteps: *maxSteps, Timeout: *timeout, Constrained: backend.Resolve(*be) == "local",
		OnStep: func(s react.Step) { react.PrintStep(stdout, s) }}
	if backend.Bundled(*be, *model) && !*native && len(*mcpServers) == 0 {
		// The bundled model runs the way it was trained (as the flagship
		// example does), and says so when it cannot answer.
		if _, err = agentmodel.Configure(a); err != nil {
			return err
		}
	}
	res, err := a.Run(trace.WithTracer(ctx, tr), q)
	if *traceFile != "" {
		if werr := writeTrace(tr, *traceFile); werr != nil {
			fmt.Fprintln(stderr, "ponder agent:", werr)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nAnswer: %s\n", res.Answer)
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/chain"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/trace"
)

func init() {
	register("ask", "answer a question directly, with chain-of-thought (-cot) or self-consistency (-n N)", ask)
}

const askSystem = "Answer the question. When you reason, reason step by step, then end with a final line of the form 'The answer is X.'"

func ask(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cacheDir := cacheFlag(fs)
	cot := fs.Bool("cot", false, "reason step by step before answering (chain-of-thought)")
	n := fs.Int("n", 1, "samples for self-consistency (implies -cot when > 1)")
	be := fs.String("backend", "auto", "model backend: auto, openai or local")
	model := fs.String("model", "", "model name (default: $PONDER_MODEL or the backend's default)")
	temp := fs.Float64("temperature", -1, "sampling temperature (default: 0 for one answer, 0.7 for self-consistency)")
	traceFile := fs.String("trace", "", "write the JSON-lines trace of the run to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ponder ask [-cot] [-n N] [-backend auto|openai|local] [-model M] [-trace FILE] \"question\"")
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
	m, err := backend.OpenGeneral(*be, *model, "ponder ask")
	if err != nil {
		return err
	}
	m, closeCache, err := withCache(m, *cacheDir)
	if err != nil {
		return err
	}
	defer closeCache()
	tr := trace.New()
	ctx = trace.WithTracer(ctx, tr)
	defer func() {
		if *traceFile != "" {
			if werr := writeTrace(tr, *traceFile); werr != nil {
				fmt.Fprintln(stderr, "ponder ask:", werr)
			}
		}
	}()

	cotRunner := &chain.CoT{Model: m, System: askSystem, Extract: chain.Answer}
	switch {
	case *n > 1:
		sc := &chain.SelfConsistency{CoT: cotRunner, N: *n}
		if *temp > 0 {
			sc.Temperature = *temp
		}
		v, err := sc.Run(ctx, q)
		if v != nil {
			for i, s := range v.Samples {
				ans := s.Answer
				if s.Err != "" {
					ans = "(no answer: " + s.Err + ")"
				}
				fmt.Fprintf(stdout, "sample %d: %s\n", i+1, ans)
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "votes:")
		for _, a := range v.Ranked() {
			fmt.Fprintf(stdout, "  %-20s %d\n", a, v.Counts[a])
		}
		fmt.Fprintf(stdout, "answer: %s (agreement %.0f%%)\n", v.Answer, 100*v.Agreement)
	case *cot:
		cotRunner.Request.Temperature = tempOr(*temp, 0)
		r, err := cotRunner.Run(ctx, q)
		if r != nil {
			fmt.Fprintf(stdout, "reasoning:\n%s\n\n", r.Reasoning)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "answer: %s\n", r.Answer)
	default:
		resp, err := llm.Generate(ctx, m, llm.Request{Messages: []llm.Message{llm.User(q)}, Temperature: tempOr(*temp, 0)})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, resp.Text())
	}
	return nil
}

func tempOr(t, def float64) *float64 {
	if t < 0 {
		return llm.Temp(def)
	}
	return llm.Temp(t)
}

func writeTrace(tr *trace.Tracer, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	if err := tr.WriteJSONL(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tot/game24"
	"github.com/ponder-go/ponder/tot/game24/sim"
)

func init() {
	register("tot", "Tree of Thought: 'ponder tot game24' compares IO, CoT, CoT-SC and ToT on Game of 24", totCmd)
}

func totCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"game24", "-h"}
	}
	if len(args) == 0 || args[0] != "game24" {
		fmt.Fprintln(stderr, "usage: ponder tot game24 [-puzzle \"4 9 10 13\" | -file F -n N] [-methods io,cot,cot-sc,tot-b1,tot-b5] [-backend auto|openai|local|sim] [-html FILE]")
		return errUsage
	}
	fs := flag.NewFlagSet("tot game24", flag.ContinueOnError)
	fs.SetOutput(stderr)
	puzzle := fs.String("puzzle", "", `one puzzle, e.g. "4 9 10 13"`)
	file := fs.String("file", "", "puzzles, one per line or the ToT CSV layout")
	n := fs.Int("puzzles", 10, "puzzles taken from -file (evenly spread)")
	fs.IntVar(n, "n", 10, "same as -puzzles")
	_ = fs.MarkHidden("n")
	methods := fs.String("methods", strings.Join(game24.Methods, ","), "methods to compare")
	be := fs.String("backend", "auto", "model backend: auto, openai, local or sim (a simulated model)")
	model := fs.String("model", "", "model name")
	skill := fs.Float64("skill", 0.7, "with -backend sim: chance each simulated step is right")
	htmlOut := fs.String("html", "", "write the ToT tree of the first puzzle to `FILE`")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	puzzles, err := game24.Load(*puzzle, *file, *n)
	if err != nil {
		return err
	}
	var m llm.Model
	if *be == "sim" {
		m = sim.New(*skill) // in process: the CLI links no test server
	} else if m, err = backend.OpenGeneral(*be, *model, "Game of 24"); err != nil {
		return err
	}
	if _, err := game24.Compare(ctx, m, strings.Split(*methods, ","), puzzles, stdout, *htmlOut); err != nil {
		return err
	}
	if *htmlOut != "" {
		fmt.Fprintf(stdout, "tree written to %s\n", *htmlOut)
	}
	return nil
}

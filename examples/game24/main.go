// Game of 24 with Tree of Thought, compared side by side with IO prompting,
// chain-of-thought and CoT with self-consistency.
//
//	go run ./examples/game24 -puzzle "4 9 10 13" [-backend auto|openai|local|sim] [-html tree.html]
//	go run ./examples/game24 -file tot/game24/testdata/puzzles.txt -n 20
//
// -backend sim runs a simulated model in-process (see tot/game24/game24test)
// with -skill the chance that each of its answers is right: a way to see the
// methods and the tree without a real model.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/tot/game24"
	"github.com/ponder-go/ponder/tot/game24/game24test"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("game24", flag.ContinueOnError)
	fs.SetOutput(stderr)
	puzzle := fs.String("puzzle", "", `one puzzle, e.g. "4 9 10 13"`)
	file := fs.String("file", "", "puzzles, one per line or the ToT CSV layout")
	n := fs.Int("n", 10, "puzzles taken from -file (evenly spread)")
	methods := fs.String("methods", strings.Join(game24.Methods, ","), "methods to compare")
	be := fs.String("backend", "auto", "model backend: auto, openai, local or sim")
	model := fs.String("model", "", "model name")
	skill := fs.Float64("skill", 0.7, "with -backend sim: chance each simulated answer is right")
	htmlOut := fs.String("html", "", "write the ToT tree of the first puzzle to `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	puzzles, err := game24.Load(*puzzle, *file, *n)
	if err != nil {
		fmt.Fprintln(stderr, "game24:", err)
		return 2
	}
	m, cleanup, err := openModel(*be, *model, *skill)
	if err != nil {
		fmt.Fprintln(stderr, "game24:", err)
		return 1
	}
	defer cleanup()
	fmt.Fprintf(stdout, "Game of 24: %d puzzle(s), backend %s\n\n", len(puzzles), *be)
	if _, err := game24.Compare(ctx, m, strings.Split(*methods, ","), puzzles, stdout, *htmlOut); err != nil {
		fmt.Fprintln(stderr, "game24:", err)
		return 1
	}
	if *htmlOut != "" {
		fmt.Fprintf(stdout, "\ntree written to %s\n", *htmlOut)
	}
	return 0
}

func openModel(name, model string, skill float64) (llm.Model, func(), error) {
	if name == "sim" {
		return game24test.Serve(skill)
	}
	m, err := backend.OpenGeneral(name, model, "Game of 24")
	return m, func() {}, err
}

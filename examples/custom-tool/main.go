// A custom tool in a few lines: a unit converter the agent can call next to
// the built-in search and calculator.
//
//	go run ./examples/custom-tool [-q "How many square kilometres is Alaska's total area?"]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ponder-go/ponder/backend"
	"github.com/ponder-go/ponder/react"
	"github.com/ponder-go/ponder/tools"
)

// SquareMilesToKm2 converts an area: the whole custom tool.
var SquareMilesToKm2 = tools.New("sqmi_to_km2",
	"Converts an area in square miles to square kilometres, e.g. sqmi_to_km2[665,724.9].",
	func(ctx context.Context, input string) (string, error) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(input), ",", ""), 64)
		if err != nil {
			return "", fmt.Errorf("not a number: %q", input)
		}
		return tools.FormatNumber(v*2.589988110336) + " square kilometres", nil
	})

func main() {
	q := flag.String("q", "How many square kilometres is Alaska's total area?", "question")
	be := flag.String("backend", "auto", "model backend: auto, openai or local")
	flag.Parse()

	reg, err := tools.Builtin()
	if err == nil {
		err = reg.Add(SquareMilesToKm2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-tool:", err)
		os.Exit(1)
	}
	// The bundled model knows only the tools it was trained with.
	m, err := backend.OpenGeneral(*be, "", "an agent with a custom tool")
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-tool:", err)
		os.Exit(1)
	}
	agent := &react.Agent{Model: m, Tools: reg, OnStep: func(s react.Step) { react.PrintStep(os.Stdout, s) }}
	res, err := agent.Run(context.Background(), *q)
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-tool:", err)
		os.Exit(1)
	}
	fmt.Println("\nAnswer:", res.Answer)
}
